-- Unix-domain datagram sockets: every method in every state (unconnected, bound,
-- connected, closed), sendto/receivefrom, unbound senders, truncation, empty datagrams,
-- size limit, a full receiver (sendto times out), 'connection refused' after the peer
-- closes, timeouts.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local P = require("lib")
local socket, unix = P.socket, P.unix
local dir = P.tmpdir()

local peerpath = dir .. "/peer.sock"
local peer = unix.dgram()
assert(peer:bind(peerpath))
peer:settimeout(2)

local function methods(tag, d)
  P.try(tag .. " .class", function() return d.class end)
  P.try(tag .. " tostring", function() return (tostring(d):gsub("0x%x+", "0x…")) end)
  P.m(tag .. " getfd", d, "getfd")
  P.m(tag .. " dirty", d, "dirty")
  P.m(tag .. " getsockname", d, "getsockname")
  P.m(tag .. " getpeername", d, "getpeername")
  P.m(tag .. " gettimeout", d, "gettimeout")
  P.m(tag .. " getoption('reuseaddr')", d, "getoption", "reuseaddr")
  P.m(tag .. " getfamily", d, "getfamily")
  P.m(tag .. " settimeout(0)", d, "settimeout", 0)
  P.m(tag .. " setoption('reuseaddr', true)", d, "setoption", "reuseaddr", true)
  P.m(tag .. " setoption('broadcast', true)", d, "setoption", "broadcast", true)
  P.m(tag .. " receive()", d, "receive")
  P.m(tag .. " receivefrom()", d, "receivefrom")
  P.m(tag .. " send('x')", d, "send", "x")
  P.m(tag .. " sendto('x', peer)", d, "sendto", "x", peerpath)
  P.m(tag .. " shutdown", d, "shutdown")
  P.m(tag .. " listen", d, "listen")
  P.m(tag .. " accept", d, "accept")
end

P.section("constructor")
P.try("socket.unix.dgram()", unix.dgram)
P.try("socket.unix.udp()", unix.udp)
P.try("socket.unix.dgram('ignored')", unix.dgram, "ignored")

P.section("unconnected, unbound")
local d = unix.dgram()
methods("unbound", d)
P.show("peer receivefrom (unbound sender: path '')", peer:receivefrom())
P.show("peer receivefrom again", peer:receivefrom())
d:close()

P.section("bound")
d = unix.dgram()
local dpath = dir .. "/d.sock"
P.m("bind(dpath)", d, "bind", dpath)
local twice = unix.dgram()
assert(twice:bind(dir .. "/tw.sock"))
P.m("bind again (a second bind fails ...)", twice, "bind", dir .. "/d2.sock")
P.m("  ... and closes the socket: getfd", twice, "getfd")
P.m("  sendto on it", twice, "sendto", "x", peerpath)
P.m("  receive on it", twice, "receive")
P.m("  receivefrom on it", twice, "receivefrom")
P.m("setsockname alias", unix.dgram(), "setsockname", dir .. "/d3.sock")
P.m("getsockname", d, "getsockname")
d:settimeout(2)
P.m("sendto('hello', peer)", d, "sendto", "hello", peerpath)
P.show("peer receivefrom", peer:receivefrom())
peer:sendto("reply", dpath)
P.m("receivefrom()", d, "receivefrom")
peer:sendto("", dpath)
P.m("receivefrom() empty dgram", d, "receivefrom")
peer:sendto("", dpath)
P.m("receive() empty dgram", d, "receive")
peer:sendto(string.rep("z", 10000), dpath)
local r = table.pack(d:receive())
P.show("receive() of 10000 -> len", #r[1])
peer:sendto(string.rep("z", 10000), dpath)
P.show("receivefrom(20000) of 10000 -> len", #(d:receivefrom(20000)))
peer:sendto("hello world", dpath)
P.m("receivefrom(5)", d, "receivefrom", 5)
peer:sendto("next", dpath)
P.m("  rest discarded", d, "receive")
peer:sendto("abc", dpath)
P.m("receive(0) with dgram queued", d, "receive", 0)
d:settimeout(0)
P.m("  queue after receive(0)", d, "receive")
P.m("receive('x')", d, "receive", "x")
P.m("receive(-1)", d, "receive", -1)
d:settimeout(2)
P.m("sendto() no data", d, "sendto")
P.m("sendto('x') no path", d, "sendto", "x")
P.m("sendto(12, peer) number data", d, "sendto", 12, peerpath)
peer:receive()
P.m("sendto('x', 108-byte path)", d, "sendto", "x", dir .. "/" .. string.rep("q", 108 - #dir - 1))
P.m("sendto('x', absent path)", d, "sendto", "x", dir .. "/absent.sock")
P.m("sendto('x', regular file)", d, "sendto", "x", dir)
P.m("sendto('x', '')", d, "sendto", "x", "")

P.section("size limit (kernel: sndbuf)")
P.m("getoption (no getoption on unixdgram)", d, "getoption", "send-buffer-size")
local sizes = { 65536, 200000, 212960, 212961, 300000 }
for _, n in ipairs(sizes) do
  local rr = table.pack(d:sendto(string.rep("s", n), peerpath))
  P.show("sendto " .. n .. " bytes", table.unpack(rr, 1, rr.n))
  if rr[1] then peer:receive(1) end
end

P.section("full receiver (kernel: max_dgram_qlen)")
-- Unconnected sendto to a full receiver gets EAGAIN, then poll() finds the sender
-- writable at once, so socket_sendto retries forever: a busy loop the timeout never
-- ends. Connected send() waits on the peer's queue instead and times out. Both run in a
-- child process under `timeout 3`.
local function child(code)
  local ph = io.popen("timeout 3 lua5.4 -e '" .. code .. "' 2>&1; echo rc=$?")
  local out = ph:read("a")
  ph:close()
  return (out:gsub("\n", " | "))
end
local fill = [[local u = require("socket.unix"); local dir = "]] .. dir .. [[";
  local small = u.dgram(); assert(small:bind(dir .. "/small-%s.sock"));
  local f = u.dgram(); f:settimeout(0.2); %s
  local n = 0; for i = 1, 100000 do
    local ok, err = %s; if not ok then print(n, err); break end; n = n + 1 end]]
P.show("unconnected sendto until failure (timeout 0.2)", child(string.format(fill, "a", "",
  [[f:sendto("0123456789", dir .. "/small-a.sock")]])))
P.show("connected send until failure (timeout 0.2)", child(string.format(fill, "b",
  [[assert(f:connect(dir .. "/small-b.sock"));]], [[f:send("0123456789")]])))

P.section("connected")
local c = unix.dgram()
assert(c:bind(dir .. "/c.sock"))
P.m("connect(peer)", c, "connect", peerpath)
methods("connected", c)
P.show("peer receivefrom (from connected)", peer:receivefrom())
peer:sendto("to c", dir .. "/c.sock")
c:settimeout(2)
P.m("connected receive", c, "receive")
local stranger = unix.dgram()
P.m("stranger sendto connected c (kernel refuses)", stranger, "sendto", "x", dir .. "/c.sock")
P.m("connect again (to another path) allowed", c, "connect", dir .. "/d.sock")
P.m("setpeername alias back to peer", c, "setpeername", peerpath)
P.m("bind on connected", c, "bind", dir .. "/c2.sock")
P.m("connect(absent) on connected", c, "connect", dir .. "/absent.sock")
P.try("  .class after failed connect", function() return c.class end)
P.m("  getfd after failed connect", c, "getfd")
c:close()

P.section("connected: peer closes")
local p2path = dir .. "/p2.sock"
local p2 = unix.dgram()
assert(p2:bind(p2path))
c = unix.dgram()
assert(c:connect(p2path))
c:settimeout(0.2)
P.m("send to live peer", c, "send", "a")
p2:close()
P.m("send after peer closed", c, "send", "b")
P.m("send again", c, "send", "c")
P.m("receive after peer closed", c, "receive")
os.remove(p2path)
local p3 = unix.dgram()
assert(p3:bind(p2path))
P.m("send after a new socket took the path", c, "send", "d")
P.m("connect(p2path) again", c, "connect", p2path)
P.m("send", c, "send", "e")
p3:close()
c:close()

P.section("connected, not bound: peer's view")
c = unix.dgram()
assert(c:connect(peerpath))
c:send("anon")
P.show("peer receivefrom (connected, unbound sender)", peer:receivefrom())
c:close()

P.section("closed")
d:close()
methods("closed", d)
P.m("closed bind", d, "bind", dir .. "/e.sock")
P.m("closed connect", d, "connect", peerpath)
P.m("closed close again", d, "close")

P.section("timeouts")
local t = unix.dgram()
assert(t:bind(dir .. "/t.sock"))
P.m("gettimeout default", t, "gettimeout")
P.m("settimeout(0.2)", t, "settimeout", 0.2)
t0 = socket.gettime()
P.m("receive", t, "receive")
P.show("  elapsed", string.format("%.1f", socket.gettime() - t0))
P.m("settimeout(0.1, 't')", t, "settimeout", 0.1, "t")
P.m("gettimeout", t, "gettimeout")
t:close()
peer:close()
P.cleanup()
