module github.com/gosmack/gosmack/bench/compare

go 1.26.0

require (
	github.com/gosmack/gosmack v0.0.0
	github.com/xmppo/go-xmpp v0.4.1
	gosrc.io/xmpp v0.5.1
	mellium.im/sasl v0.3.2
	mellium.im/xmlstream v0.15.4
	mellium.im/xmpp v0.22.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/mod v0.41.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/tools v0.51.0 // indirect
	golang.org/x/xerrors v0.0.0-20190717185122-a985d3407aa7 // indirect
	mellium.im/reader v0.1.0 // indirect
	nhooyr.io/websocket v1.6.5 // indirect
)

replace github.com/gosmack/gosmack => ../..
