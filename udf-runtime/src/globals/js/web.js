// The web-platform globals user code expects (TextEncoder, URL, crypto,
// structuredClone, Headers/Request/Response/Blob/File/FormData), loaded on
// first use, plus the helpers the `Convex.jsSyscall` ops of HTTP actions use.

import { installEncoding } from "basalt:encoding";
import { installCrypto } from "basalt:crypto";
import { installClone } from "basalt:clone";
import { installUrl } from "basalt:url";
import { installFetchTypes, requestFromConvexJson, convexJsonFromResponse } from "basalt:fetch";

export function webGlobals(host) {
  const out = {};
  installEncoding(out, host);
  installCrypto(out, host);
  installClone(out);
  installUrl(out);
  installFetchTypes(out);
  out.requestFromConvexJson = requestFromConvexJson;
  out.convexJsonFromResponse = convexJsonFromResponse;
  return out;
}
