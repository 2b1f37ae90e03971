"""Drives a deployed examples/app with PyPI `convex`'s legacy HTTP client
(`convex.http_client.ConvexHttpClient`, which sends `args` as an object).
Usage: python python_http_client.py <url> <admin key>. Exits non-zero on a mismatch."""
import sys

from convex import ConvexError, ConvexInt64
from convex.http_client import ConvexExecutionError, ConvexHttpClient

url, admin_key = sys.argv[1], sys.argv[2]
client = ConvexHttpClient(url)

msg_id = client.mutation("messages:send", {"author": "py", "body": "from python"})
assert isinstance(msg_id, str) and len(msg_id) == 32, msg_id
rows = client.query("messages:list", {"author": "py"})
assert [r["body"] for r in rows] == ["from python"], rows
# Floats must arrive as floats (json_to_convex rejects ints).
assert isinstance(rows[0]["_creationTime"], float), rows[0]

# int64 and bytes round trip.
value = client.mutation("counters:bump", {"name": "py", "by": ConvexInt64(2**62), "blob": b"\x00\xff"})
assert value == 2**62, value
counter = client.query("counters:get", {"name": "py"})
assert counter["value"] == 2**62 and counter["blob"] == b"\x00\xff", counter

try:
    client.mutation("messages:fail", {})
    raise AssertionError("expected a ConvexError")
except ConvexError as e:
    assert e.data == {"code": 42.0, "message": "the answer"}, e.data

try:
    client.query("messages:boom", {})
    raise AssertionError("expected an execution error")
except ConvexExecutionError as e:
    assert "Uncaught Error: boom" in str(e), str(e)

admin = ConvexHttpClient(url)
admin.set_admin_auth(admin_key)
# An internal query is callable by an admin only.
assert admin.query("messages:count", {"author": "py"}) == 1.0
try:
    client.query("messages:count", {"author": "py"})
    raise AssertionError("internal function was public")
except ConvexExecutionError as e:
    assert "Could not find public function for 'messages:count'" in str(e), str(e)

print("python_http_client: all assertions passed")
