-- The real LuaSocket as a UDP or unix-domain peer of this package (driven by
-- dgram-interop.test.ts).
--
--   lua5.4 lua-dgram-peer.lua server udp4|udp6          binds the loopback, prints "port N", echoes
--   lua5.4 lua-dgram-peer.lua client udp4|udp6 PORT     sends to PORT, checks the echoes
--   lua5.4 lua-dgram-peer.lua server unix|unixdgram PATH   binds PATH, prints "ready", echoes
--   lua5.4 lua-dgram-peer.lua client unix|unixdgram PATH [OWNPATH]   talks to PATH
--
-- The datagrams are SIZES bytes of payload(n) (the same function is in the test); the
-- script checks what it receives itself, prints one line "result <json>" and exits 0, or
-- prints the problem on stderr and exits 1. Every socket call has a timeout.
local socket = require("socket")
local unix = require("socket.unix")
local json = require("dkjson")
io.stdout:setvbuf("line")

local role, kind, where, own = arg[1], arg[2], arg[3], arg[4]
local TIMEOUT = 15
local SIZES = { 0, 1, 5, 255, 256, 1000, 8192, 8193, 20000, 65507 }

local function fail(fmt, ...)
  io.stderr:write("lua-dgram-peer ", role, " ", kind, ": ", string.format(fmt, ...), "\n")
  os.exit(1)
end

local function check(cond, fmt, ...)
  if not cond then fail(fmt, ...) end
end

-- n bytes: byte i is (i * 7 + n) % 256.
local function payload(n)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = string.char((i * 7 + n) % 256) end
  return table.concat(t)
end

local function done(result)
  print("result " .. json.encode(result))
  os.exit(0)
end

------------------------------------------------------------------- UDP

local function udp_server(family)
  local u = family == "udp6" and socket.udp6() or socket.udp4()
  check(u:setsockname(family == "udp6" and "::1" or "127.0.0.1", 0), "setsockname")
  u:settimeout(TIMEOUT)
  local _, port = u:getsockname()
  print("port " .. port)
  local k = 0
  while true do
    local d, ip, p = u:receivefrom(65535)
    check(d, "receivefrom: %s", tostring(ip))
    if d == "quit" then break end
    k = k + 1
    check(d == payload(SIZES[(k - 1) % #SIZES + 1]), "datagram %d differs (%d bytes)", k, #d)
    check(u:sendto(d, ip, p) == #d, "sendto")
  end
  -- The default size: the rest of a larger datagram is discarded.
  local d = u:receive()
  check(d and #d == 8192, "default size: %s", d and #d or "nil")
  done({ datagrams = k })
end

local function udp_client(family, port)
  local host = family == "udp6" and "::1" or "127.0.0.1"
  local u = socket.udp()
  u:settimeout(TIMEOUT)
  check(u:setpeername(host, port), "setpeername")
  for _, n in ipairs(SIZES) do
    check(u:send(payload(n)) == n, "send %d", n)
    local d, err = u:receive(65535)
    check(d == payload(n), "echo of %d bytes: %s", n, d and #d or err)
  end
  check(u:setpeername("*"), "setpeername('*')")
  check(u:sendto(payload(10), host, port) == 10, "sendto")
  local d, ip, p = u:receivefrom()
  check(d == payload(10) and ip == host and p == port, "receivefrom: %s %s %s", tostring(#d), tostring(ip), tostring(p))
  u:sendto("quit", host, port)
  done({ datagrams = #SIZES + 1 })
end

------------------------------------------------------------------- unix stream

local LINES = { "first", "with\rcr", "", string.rep("long", 5000) }

local function unix_server(path)
  local s = unix()
  check(s:bind(path), "bind")
  check(s:listen(), "listen")
  s:settimeout(TIMEOUT)
  print("ready")
  local c = s:accept()
  check(c, "accept")
  c:settimeout(TIMEOUT)
  local k = 0
  while true do
    local l, err = c:receive("*l")
    check(l, "receive: %s", tostring(err))
    if l == "quit" then break end
    k = k + 1
    check(c:send(l .. "\n"), "send")
  end
  local block, err = c:receive(256 * 64)
  check(block == string.rep(payload(256), 64), "binary block: %s", block and #block or err)
  check(c:send(block) == #block, "send block")
  local rest, e2, partial = c:receive("*a")
  check(rest == "bye", "receive('*a'): %s %s %s", tostring(rest), tostring(e2), tostring(partial))
  c:close()
  done({ lines = k })
end

local function unix_client(path)
  local c = unix()
  c:settimeout(TIMEOUT)
  check(c:connect(path), "connect")
  for _, l in ipairs(LINES) do
    check(c:send(l .. "\n"), "send")
    local got = c:receive()
    check(got == l:gsub("\r", ""), "echo of a %d-byte line", #l)
  end
  c:send("quit\n")
  local block = string.rep(payload(256), 64)
  check(c:send(block) == #block, "send block")
  check(c:receive(#block) == block, "block echo")
  c:send("bye")
  c:shutdown("send")
  local rest, err, partial = c:receive("*a")
  check(rest == nil and err == "closed" and partial == "", "the other side ends: %s %s", tostring(rest), tostring(err))
  done({ lines = #LINES })
end

------------------------------------------------------------------- unix datagrams

local function unixdgram_server(path)
  local d = unix.dgram()
  check(d:bind(path), "bind")
  d:settimeout(TIMEOUT)
  print("ready")
  local k = 0
  while true do
    local data, from = d:receivefrom(65535)
    check(data, "receivefrom: %s", tostring(from))
    if data == "quit" then break end
    k = k + 1
    check(data == payload(SIZES[k]), "datagram %d differs", k)
    check(from ~= "", "the sender is named")
    check(d:sendto(data, from) == #data, "sendto")
  end
  done({ datagrams = k })
end

local function unixdgram_client(path, ownpath)
  local d = unix.dgram()
  check(d:bind(ownpath), "bind")
  d:settimeout(TIMEOUT)
  check(d:connect(path), "connect")
  for _, n in ipairs(SIZES) do
    check(d:send(payload(n)) == n, "send %d", n)
    local got = d:receive(65535)
    check(got == payload(n), "echo of %d bytes", n)
  end
  d:send("quit")
  done({ datagrams = #SIZES })
end

if role == "server" and (kind == "udp4" or kind == "udp6") then udp_server(kind)
elseif role == "client" and (kind == "udp4" or kind == "udp6") then udp_client(kind, tonumber(where))
elseif role == "server" and kind == "unix" then unix_server(where)
elseif role == "client" and kind == "unix" then unix_client(where)
elseif role == "server" and kind == "unixdgram" then unixdgram_server(where)
elseif role == "client" and kind == "unixdgram" then unixdgram_client(where, own)
else fail("unknown role or kind") end
