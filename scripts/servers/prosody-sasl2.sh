#!/usr/bin/env bash
# Starts and stops a second throw-away Prosody that speaks SASL2 (XEP-0388),
# Bind2 (XEP-0386) and FAST (XEP-0484), on loopback only:
#
#   scripts/servers/prosody-sasl2.sh start|stop|restart|status
#
# It is prosody.sh with PROSODY_INSTANCE=sasl2: run dir
# $GOSMACK_RUN/prosody-sasl2, c2s STARTTLS 127.0.0.1:16222, direct TLS :16223.
PROSODY_INSTANCE=sasl2 exec "$(dirname "$0")/prosody.sh" "$@"
