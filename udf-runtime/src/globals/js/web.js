// The web-platform globals user code expects (TextEncoder, URL, crypto,
// structuredClone, Headers/Request/Response/Blob/File/FormData, events,
// AbortController and ReadableStream), loaded on first use, plus the helpers the
// `Convex.jsSyscall` ops of HTTP actions use.

import { installEncoding } from "basalt:encoding";
import { installCrypto } from "basalt:crypto";
import { installClone } from "basalt:clone";
import { installEvents } from "basalt:events";
import { installStreams } from "basalt:streams";
import { installUrl } from "basalt:url";
import { installFetchTypes, requestFromConvexJson, convexJsonFromResponse } from "basalt:fetch";

export function webGlobals(host) {
  const out = {};
  installEncoding(out, host);
  installCrypto(out, host);
  installClone(out);
  installEvents(out);
  installStreams(out);
  installUrl(out);
  installFetchTypes(out);
  out.requestFromConvexJson = requestFromConvexJson;
  out.convexJsonFromResponse = convexJsonFromResponse;
  return out;
}
