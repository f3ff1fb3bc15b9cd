-- mod_trunk_compat: the few APIs of Prosody trunk that Debian's
-- prosody-modules snapshot (February 2023) calls and Prosody 0.12.3 lacks.
-- Loaded before mod_sasl2, mod_sasl2_bind2 and mod_sasl2_fast, it makes
-- SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST (XEP-0484) work on 0.12;
-- without it every TLS login hangs (see docs/servers.md). Written for the
-- gosmack test servers only: loopback, throw-away data.

local filters = require "util.filters";
local st = require "util.stanza";
local datetime = require "util.datetime";

-- stanza:get_child_attr(name, xmlns, attr): the attribute of a child.
if not st.stanza_mt.get_child_attr then
	function st.stanza_mt.get_child_attr(stanza, name, xmlns, attr)
		local child = stanza:get_child(name, xmlns);
		return child and child.attr[attr];
	end
end

-- util.datetime on Lua 5.4 refuses a time with a fraction of a second,
-- which mod_sasl2_fast passes for a token's expiry.
if not datetime.trunk_compat then
	local whole = datetime.datetime;
	datetime.datetime = function (t)
		return whole(t and math.floor(t));
	end
	datetime.trunk_compat = true;
end

-- conn:ssl_info() and conn:ssl_peerfinished(), from the LuaSec socket.
local function patch_conn(conn)
	local mt = getmetatable(conn);
	local methods = mt and mt.__index;
	if type(methods) ~= "table" or methods.ssl_info then return end
	methods.ssl_info = function (c)
		local sock = c:socket();
		return sock and sock.info and sock:info() or nil;
	end
	methods.ssl_peerfinished = function (c)
		local sock = c:socket();
		return sock and sock.getpeerfinished and sock:getpeerfinished() or nil;
	end
end

-- The stream header's from, which trunk hands to the stream-features
-- event (mod_sasl2_fast offers FAST only to a stream that names its
-- user): 0.12 keeps no stream attributes, but calls stream_attrs with
-- the client's from as the reply's to.
local function remember_from(session)
	if type(session.type) == "string" and session.type:match("^c2s") then
		session.stream_attrs = function (s, _, to)
			s.compat_stream_from = to;
		end
	end
end
filters.add_filter_hook(remember_from);
function module.unload()
	filters.remove_filter_hook(remember_from);
end

module:hook("stream-features", function (event)
	local origin = event.origin;
	if origin.conn then patch_conn(origin.conn) end
	event.stream = event.stream or { from = origin.compat_stream_from };
end, 100);
