-- Four TCP behaviours (issue #9 item 6):
--  (a) argument errors of module functions, by how they are called (statement, tail call,
--      pcall of the function value): the name Lua prints differs;
--  (b) socket.select with master objects (tcp4() with a socket, bound, tcp() without);
--  (c) receive after shutdown('receive') with data sent before / after the shutdown;
--  (d) a connection reset (peer closes with SO_LINGER 0) after data the script has not
--      read yet: receive('*l' / '*a' / n) in order, then send.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local P = require("lib")
local socket = P.socket

P.section("(a) argument errors of module functions")
-- Three ways to call: as a statement inside a function (`local r = socket.X(...)`: Lua
-- names the field), as a tail call (`return socket.X(...)`: no call-site name, so Lua
-- searches package.loaded and prints 'socket.X'), and pcall(socket.X, ...) (same).
local calls = {
  { "socket.connect()", "socket.connect()" },
  { "socket.connect(1)", "socket.connect(1)" },
  { "socket.connect('127.0.0.1')", "socket.connect('127.0.0.1')" },
  { "socket.connect('127.0.0.1', {})", "socket.connect('127.0.0.1', {})" },
  { "socket.connect4()", "socket.connect4()" },
  { "socket.connect6()", "socket.connect6()" },
  { "socket.select(1)", "socket.select(1)" },
  { "socket.select(nil, 1)", "socket.select(nil, 1)" },
  { "socket.select(nil, nil, 'x')", "socket.select(nil, nil, 'x')" },
  { "socket.bind()", "socket.bind()" },
  { "socket.bind('127.0.0.1')", "socket.bind('127.0.0.1')" },
  { "socket.bind('127.0.0.1', 0, 'x')", "socket.bind('127.0.0.1', 0, 'x')" },
  { "socket.sleep('x')", "socket.sleep('x')" },
  { "socket.sleep()", "socket.sleep()" },
  { "socket.skip('x')", "socket.skip('x')" },
  { "socket.skip()", "socket.skip()" },
  { "socket.dns.toip()", "socket.dns.toip()" },
  { "socket.dns.tohostname()", "socket.dns.tohostname()" },
  { "socket.dns.getaddrinfo()", "socket.dns.getaddrinfo()" },
  { "socket.dns.getnameinfo()", "socket.dns.getnameinfo()" },
  { "socket.tcp(1)", "socket.tcp(1)" },
  { "socket.udp(1)", "socket.udp(1)" },
  { "socket.gettime(1)", "socket.gettime(1)" },
  { "socket.protect()", "socket.protect()" },
  { "socket.newtry(1)", "socket.newtry(1)" },
  { "socket.unix.stream(1)", "socket.unix.stream(1)" },
}
local env = { socket = socket }
socket.unix = P.unix
for _, c in ipairs(calls) do
  local stmt = assert(load("local r = table.pack(" .. c[2] .. "); return r", "=stmt", "t",
    setmetatable({ table = table }, { __index = env })))
  local tail = assert(load("return " .. c[2], "=tail", "t", env))
  P.try(c[1] .. " [statement]", stmt)
  P.try(c[1] .. " [tail call]", tail)
end
-- pcall of the function value itself (the name comes from package.loaded)
P.try("pcall(socket.connect)", socket.connect)
P.try("pcall(socket.select, 1)", socket.select, 1)
P.try("pcall(socket.bind)", socket.bind)
P.try("pcall(socket.sleep, 'x')", socket.sleep, "x")
P.try("pcall(socket.skip, 'x')", socket.skip, "x")
P.try("pcall(socket.dns.toip)", socket.dns.toip)
-- what the package.loaded search can find
local found = {}
for modname, t in pairs(package.loaded) do
  if type(t) == "table" and t.connect == socket.connect then found[#found + 1] = modname end
end
table.sort(found)
P.show("modules in package.loaded holding connect", table.concat(found, ","))
-- non-argument results for comparison
P.try("socket.skip(1, 'a', 'b')", socket.skip, 1, "a", "b")
P.try("socket.skip(0, 'a')", socket.skip, 0, "a")
P.try("socket.skip(-1, 'a', 'b')", socket.skip, -1, "a", "b")
P.try("socket.sleep('0.01')", socket.sleep, "0.01")

P.section("(b) select with master objects")
local m4 = socket.tcp4()
local mb = socket.tcp4()
assert(mb:bind("127.0.0.1", 0))
local m0 = socket.tcp()
local m6 = socket.tcp6()
local names = { [m4] = "tcp4-master", [mb] = "tcp4-bound-master", [m0] = "tcp-nosocket", [m6] = "tcp6-master" }
local function sel(label, r, w, t)
  local rr, ww, err = socket.select(r, w, t)
  local function l(x)
    local o = {}
    for i = 1, #x do o[i] = names[x[i]] end
    return "[" .. table.concat(o, ",") .. "]"
  end
  print(string.format("%-44s => r=%s w=%s err=%s", label, l(rr), l(ww), tostring(err)))
end
sel("recvt {tcp4 master} t=0", { m4 }, nil, 0)
sel("sendt {tcp4 master} t=0", nil, { m4 }, 0)
sel("recvt {bound master} t=0", { mb }, nil, 0)
sel("sendt {bound master} t=0", nil, { mb }, 0)
sel("recvt {tcp() no socket} t=0", { m0 }, nil, 0)
sel("sendt {tcp() no socket} t=0", nil, { m0 }, 0)
sel("recvt {tcp6 master} t=0", { m6 }, nil, 0)
sel("sendt {tcp6 master} t=0", nil, { m6 }, 0)
sel("both {all masters} t=0.2", { m4, mb, m0, m6 }, { m4, mb, m0, m6 }, 0.2)
local t0 = socket.gettime()
sel("sendt {tcp() no socket} t=0.2", nil, { m0 }, 0.2)
P.show("   elapsed", string.format("%.1f", socket.gettime() - t0))
m4:close(); mb:close(); m0:close(); m6:close()

-- A connected pair over loopback; `peer` is the far end (plain LuaSocket too).
local function pair()
  local srv = assert(socket.bind("127.0.0.1", 0))
  local _, port = srv:getsockname()
  local c = assert(socket.connect("127.0.0.1", port))
  local p = assert(srv:accept())
  srv:close()
  c:settimeout(1)
  p:settimeout(1)
  return c, p
end

P.section("(c) receive after shutdown('receive')")
local c, p = pair()
p:send("before1\nbefore2\nbef")
socket.sleep(0.1)
P.m("shutdown('receive') (data queued, unread)", c, "shutdown", "receive")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l') again", c, "receive", "*l")
P.m("peer send after shutdown", p, "send", "after\n")
socket.sleep(0.1)
P.m("receive('*l') (data sent after shutdown)", c, "receive", "*l")
P.m("receive('*a')", c, "receive", "*a")
P.m("receive(3)", c, "receive", 3)
P.m("send still works", c, "send", "x")
P.m("  peer receives", p, "receive", 1)
c:close(); p:close()

c, p = pair()
p:send("0123456789")
socket.sleep(0.1)
P.m("shutdown('receive') then receive(4)", c, "shutdown", "receive")
P.m("receive(4)", c, "receive", 4)
P.m("receive(100)", c, "receive", 100)
P.m("receive(1)", c, "receive", 1)
c:close(); p:close()

c, p = pair()
p:send("all of it\nand more")
socket.sleep(0.1)
c:shutdown("receive")
P.m("shutdown('receive') then receive('*a')", c, "receive", "*a")
P.m("receive('*a') again", c, "receive", "*a")
c:close(); p:close()

c, p = pair()
c:shutdown("receive")
P.m("shutdown('receive') with nothing queued: receive('*l')", c, "receive", "*l")
P.m("peer send after", p, "send", "late\n")
socket.sleep(0.1)
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*a')", c, "receive", "*a")
c:close(); p:close()

c, p = pair()
c:shutdown("receive")
p:send("late data\n")
socket.sleep(0.1)
P.m("shutdown first, data after: receive('*a')", c, "receive", "*a")
c:close(); p:close()

c, p = pair()
c:shutdown("receive")
p:send("late data\n")
socket.sleep(0.1)
P.m("shutdown first, data after: receive(4)", c, "receive", 4)
P.m("receive(4)", c, "receive", 4)
P.m("receive(100)", c, "receive", 100)
c:close(); p:close()

P.section("(d) reset by peer (SO_LINGER 0) with unread data")
local function reset_pair(data)
  local cc, pp = pair()
  pp:send(data)
  socket.sleep(0.05)
  assert(pp:setoption("linger", { on = true, timeout = 0 }))
  pp:close()
  socket.sleep(0.1)
  return cc
end
c = reset_pair("line1\nline2\npartial")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l')", c, "receive", "*l")
P.m("receive('*l')", c, "receive", "*l")
P.m("send('x')", c, "send", "x")
P.m("send('x') again", c, "send", "x")
P.m("receive('*a')", c, "receive", "*a")
c:close()

c = reset_pair("line1\nline2\npartial")
P.m("receive('*a') first", c, "receive", "*a")
P.m("receive('*a') again", c, "receive", "*a")
P.m("receive('*l')", c, "receive", "*l")
c:close()

c = reset_pair("0123456789")
P.m("receive(4) first", c, "receive", 4)
P.m("receive(4)", c, "receive", 4)
P.m("receive(4)", c, "receive", 4)
P.m("receive(4)", c, "receive", 4)
c:close()

c = reset_pair("0123456789")
P.m("send('x') first", c, "send", "x")
P.m("send('x') again", c, "send", "x")
P.m("receive(4)", c, "receive", 4)
P.m("receive('*a')", c, "receive", "*a")
c:close()

c = reset_pair(string.rep("z", 100000))
P.m("large unread (100000): receive(10)", c, "receive", 10)
local r = table.pack(c:receive("*a"))
P.show("receive('*a')", r[1], r[2], r[3] and #r[3])
c:close()

c = reset_pair("abc")
P.m("getstats", c, "getstats")
P.m("dirty", c, "dirty")
P.m("getpeername after reset", c, "getpeername")
P.m("getoption('error') after reset", c, "getoption", "error")
P.m("receive(1)", c, "receive", 1)
P.m("receive(1)", c, "receive", 1)
c:close()
