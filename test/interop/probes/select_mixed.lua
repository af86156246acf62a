-- socket.select with every object kind together (TCP, UDP, unix stream, unix dgram),
-- objects without a descriptor (udp() before first use, closed ones), and dirty buffers.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local P = require("lib")
local socket, unix = P.socket, P.unix
local dir = P.tmpdir()

local names = {}
local function name(o, n) names[o] = n; return o end
local function list(t)
  local out = {}
  for i = 1, #t do out[i] = names[t[i]] or tostring(t[i]) end
  local assoc = 0
  for k, v in pairs(t) do
    if type(k) ~= "number" then
      assoc = assoc + 1
      assert(t[v] == k, "assoc entry points back")
    end
  end
  table.sort(out)
  return "[" .. table.concat(out, ",") .. "] assoc=" .. assoc
end
local function sel(label, r, w, t)
  local rr, ww, err = socket.select(r, w, t)
  print(string.format("%-44s => r=%s w=%s err=%s", label, list(rr), list(ww), tostring(err)))
  return rr, ww, err
end

-- TCP pair
local tsrv = name(assert(socket.bind("127.0.0.1", 0)), "tcpserver")
local _, tport = tsrv:getsockname()
local tcli = name(assert(socket.connect("127.0.0.1", tport)), "tcpclient")
local tacc = name(assert(tsrv:accept()), "tcpaccepted")
-- UDP pair
local u1 = name(socket.udp4(), "udp")
u1:setsockname("127.0.0.1", 0)
local _, uport = u1:getsockname()
local u2 = name(socket.udp4(), "udpconn")
u2:setpeername("127.0.0.1", uport)
local unone = name(socket.udp(), "udp-nofd")
-- unix stream pair and server
local usrv = name(unix.stream(), "unixserver")
assert(usrv:bind(dir .. "/s.sock"))
assert(usrv:listen())
local ucli = name(unix.stream(), "unixclient")
assert(ucli:connect(dir .. "/s.sock"))
local uacc = name(usrv:accept(), "unixaccepted")
-- unix dgram
local d1 = name(unix.dgram(), "unixdgram")
assert(d1:bind(dir .. "/d.sock"))
local d2 = name(unix.dgram(), "unixdgram-conn")
assert(d2:connect(dir .. "/d.sock"))

local all = { tsrv, tcli, tacc, u1, u2, unone, usrv, ucli, uacc, d1, d2 }

P.section("nothing pending")
sel("recvt all, timeout 0", all, nil, 0)
sel("sendt all, timeout 0", nil, all, 0)
sel("recvt all, timeout 0.1", all, {}, 0.1)

P.section("one event of each kind")
tacc:send("t")
u2:send("u")
ucli:send("x")
d2:send("d")
local c2 = unix.stream()
assert(c2:connect(dir .. "/s.sock"))   -- pending connection on unixserver
local tc2 = socket.tcp()
assert(tc2:connect("127.0.0.1", tport)) -- pending connection on tcpserver
socket.sleep(0.1)
sel("recvt all", all, nil, 1)
sel("recvt and sendt all", all, all, 1)

P.section("dirty buffers (data read ahead into the object's buffer)")
tacc:send("line1\nline2\n")
ucli:send("l1\nl2\n")
socket.sleep(0.1)
tcli:receive()   -- 't' plus line1: leaves line2 buffered
uacc:receive()   -- 'x' ... reads 'xl1', leaves 'l2\n'
P.show("tcpclient:dirty()", tcli:dirty())
P.show("unixaccepted:dirty()", uacc:dirty())
sel("recvt {tcpclient, unixaccepted} t=5 (no wait)", { tcli, uacc }, nil, 5)

P.section("closed and descriptor-less objects")
local closed = name(socket.udp4(), "udp-closed")
closed:close()
local uclosed = name(unix.dgram(), "unixdgram-closed")
uclosed:close()
sel("recvt {closed objects} t=0", { closed, uclosed, unone }, nil, 0)
sel("sendt {closed objects} t=0", nil, { closed, uclosed, unone }, 0)
sel("recvt {} sendt {} t=0", {}, {}, 0)
P.try("select({'string'}, nil, 0)", socket.select, { "string" }, nil, 0)
P.try("select({{}}, nil, 0)", socket.select, { {} }, nil, 0)
P.try("select({{getfd=function() return 1e9 end}}, nil, 0)", socket.select,
  { { getfd = function() return 1e9 end } }, nil, 0)
P.try("select({{getfd=function() return 'x' end}}, nil, 0)", socket.select,
  { { getfd = function() return "x" end } }, nil, 0)
P.try("select(1)", socket.select, 1)
P.try("select(nil, 1)", socket.select, nil, 1)
P.try("select(nil, nil, 'x')", socket.select, nil, nil, "x")
P.try("select() (blocks? no: nothing, nil timeout)", function()
  return "skipped: select() with no sockets and no timeout blocks forever"
end)

P.section("UDP writable states")
local fresh = name(socket.udp4(), "udp4-fresh")
local fresh6 = name(socket.udp6(), "udp6-fresh")
sel("sendt {udp4 fresh, udp6 fresh} t=0", nil, { fresh, fresh6 }, 0)
sel("recvt {udp4 fresh, udp6 fresh} t=0", { fresh, fresh6 }, nil, 0)
local ud = name(unix.dgram(), "unixdgram-fresh")
local us = name(unix.stream(), "unixstream-master")
sel("sendt {unixdgram fresh, unixstream master} t=0", nil, { ud, us }, 0)
sel("recvt {unixdgram fresh, unixstream master} t=0", { ud, us }, nil, 0)

for _, o in ipairs(all) do o:close() end
P.cleanup()
