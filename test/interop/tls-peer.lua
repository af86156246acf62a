-- A LuaSec (real LuaSocket + lua-sec) TLS peer for tls-interop.test.ts.
--   lua5.4 tls-peer.lua server CERT KEY          prints "port N", serves one client:
--                                                 reads a line, answers "lua got <line>", reads '*a'
--   lua5.4 tls-peer.lua client PORT CAFILE       connects, sends "hello from lua", prints the
--                                                 reply line and the peer's certificate CN
local socket = require "socket"
local ssl = require "ssl"

local mode = arg[1]
if mode == "server" then
  local srv = assert(socket.bind("127.0.0.1", 0))
  local _, port = srv:getsockname()
  print("port " .. port)
  io.stdout:flush()
  srv:settimeout(10)
  local c = assert(srv:accept())
  local conn = assert(ssl.wrap(c, { mode = "server", protocol = "any", certificate = arg[2], key = arg[3] }))
  conn:settimeout(10)
  assert(conn:dohandshake())
  local line = assert(conn:receive("*l"))
  assert(conn:send("lua got " .. line .. "\n"))
  local rest, err, partial = conn:receive("*a")
  print("rest " .. #(rest or partial) .. " " .. tostring(err))
  conn:close()
else
  local c = assert(socket.connect("127.0.0.1", tonumber(arg[2])))
  local conn = assert(ssl.wrap(c, { mode = "client", protocol = "any", verify = "peer", cafile = arg[3] }))
  conn:settimeout(10)
  assert(conn:dohandshake())
  assert(conn:send("hello from lua\n"))
  local reply = assert(conn:receive("*l"))
  local cert = conn:getpeercertificate()
  print("reply " .. reply)
  print("cn " .. cert:subject()[1].value)
  print("verified " .. tostring(conn:getpeerverification()))
  conn:close()
end
