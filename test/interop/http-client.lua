-- LuaSocket's own socket.http.request, driven by test/interop/http-interop.test.ts.
-- Input, one request per line: METHOD URL BODY OUT, where BODY is "-" or the request body
-- in hex (sent with a content-length), and OUT is "-" (the body comes back in hex) or a
-- file the body is written to. Output, one JSON line per request:
-- {"ok":..., "code":..., "status": hex, "headers": {name: hex}, "body": hex, "err": ...}.
local http = require("socket.http")
local ltn12 = require("ltn12")
local json = require("dkjson")

http.TIMEOUT = tonumber(os.getenv("HTTP_TIMEOUT") or "10")

local function hex(s)
  if s == nil then return nil end
  return (tostring(s):gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(s)
  return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

for line in io.lines() do
  local method, url, body, out = line:match("^(%S+) (%S+) (%S+) (%S+)$")
  local chunks, file = {}, nil
  local reqt = { url = url, method = method, sink = ltn12.sink.table(chunks) }
  if out ~= "-" then
    file = assert(io.open(out, "wb"))
    reqt.sink = ltn12.sink.file(file)
  end
  if body ~= "-" then
    local b = unhex(body)
    reqt.source = ltn12.source.string(b)
    reqt.headers = { ["content-length"] = #b, ["content-type"] = "application/octet-stream" }
  end
  local ok, code, headers, status = http.request(reqt)
  local hexheaders
  if type(headers) == "table" then
    hexheaders = {}
    for k, v in pairs(headers) do hexheaders[k] = hex(v) end
  end
  io.write(json.encode({
    ok = ok, code = ok and code or nil, err = (not ok) and code or nil,
    status = hex(status), headers = hexheaders, body = hex(table.concat(chunks)),
  }), "\n")
  io.flush()
end
