-- A small HTTP/1.1 server written with the real LuaSocket, for this package's
-- socket.http.request to talk to (test/interop/http-interop.test.ts). Prints its port,
-- then serves one connection at a time until killed.
--   /hello          a fixed text with a content-length
--   /echo           the request as text: method, target, sorted headers, blank line, body
--   /chunked        a chunked body with a chunk extension and a trailer
--   /redirect       302 to /hello
--   /big/N          N bytes (string.rep of a 256-byte pattern) with a content-length
--   /close          a body delimited by closing the connection
local socket = require("socket")

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
io.write(port, "\n")
io.flush()

local PATTERN = {}
for i = 0, 255 do PATTERN[#PATTERN + 1] = string.char((i * 31 + 7) % 256) end
PATTERN = table.concat(PATTERN)

local function read_request(c)
  local line, err = c:receive("*l")
  if not line then return nil, err end
  local method, target = line:match("^(%S+) (%S+) HTTP/1%.%d$")
  local headers, names = {}, {}
  while true do
    local h = assert(c:receive("*l"))
    if h == "" then break end
    local name, value = h:match("^([^:]+):%s*(.*)$")
    name = name:lower()
    headers[name] = value
    names[#names + 1] = name
  end
  local body = ""
  if headers["content-length"] then
    body = assert(c:receive(tonumber(headers["content-length"])))
  elseif headers["transfer-encoding"] == "chunked" then
    local parts = {}
    while true do
      local size = tonumber(assert(c:receive("*l")):match("^%x+"), 16)
      if size == 0 then
        repeat local t = assert(c:receive("*l")) until t == ""
        break
      end
      parts[#parts + 1] = assert(c:receive(size))
      assert(c:receive("*l"))
    end
    body = table.concat(parts)
  end
  table.sort(names)
  return { method = method, target = target, headers = headers, names = names, body = body }
end

local function respond(c, code, reason, headers, body)
  local head = { string.format("HTTP/1.1 %d %s", code, reason) }
  for _, h in ipairs(headers) do head[#head + 1] = h end
  if body then head[#head + 1] = "Content-Length: " .. #body end
  c:send(table.concat(head, "\r\n") .. "\r\n\r\n" .. (body or ""))
end

local function serve(c, req)
  local path = req.target
  if path == "/hello" then
    respond(c, 200, "OK", { "Content-Type: text/plain" }, "hello from lua")
  elseif path:match("^/echo") then
    local lines = { req.method, req.target }
    for _, n in ipairs(req.names) do lines[#lines + 1] = n .. ": " .. req.headers[n] end
    respond(c, 200, "OK", {}, table.concat(lines, "\n") .. "\n\n" .. req.body)
  elseif path == "/chunked" then
    c:send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
      .. "6;ext=1\r\nchunks\r\n1\r\n \r\n4\r\nfrom\r\n4\r\n lua\r\n0\r\nX-Sum: 42\r\n\r\n")
  elseif path == "/redirect" then
    respond(c, 302, "Found", { "Location: /hello" }, "moved")
  elseif path:match("^/big/%d+$") then
    local n = tonumber(path:match("%d+$"))
    c:send("HTTP/1.1 200 OK\r\nContent-Length: " .. n .. "\r\n\r\n")
    local full = PATTERN:rep(n // #PATTERN) .. PATTERN:sub(1, n % #PATTERN)
    assert(c:send(full))
  elseif path == "/close" then
    c:send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
  else
    respond(c, 404, "Not Found", {}, "no " .. path)
  end
end

while true do
  local c = assert(server:accept())
  c:settimeout(10)
  local req = read_request(c)
  if req then serve(c, req) end
  c:close()
end
