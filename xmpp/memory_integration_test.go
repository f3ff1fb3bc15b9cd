//go:build integration

package xmpp_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Bounds of the load benchmark's concurrency: dialers log in (ejabberd's
// TLS handshakes and logins are what limits the rate; more dialers only
// make each login wait longer), closers close (each Close waits for the
// server's end of the stream, about 100 ms on a loaded ejabberd),
// registrars call the HTTP API.
const (
	loadDialers    = 16
	loadClosers    = 128
	loadRegistrars = 16
	loadTimeout    = time.Minute // one login, on a server busy with the others
)

// BenchmarkIntegrationEjabberdTLSConnMemory measures what an idle,
// authenticated connection to a real server holds on the client side:
// heap and goroutine stacks per connection, with the socket, TLS (crypto/tls
// state and buffers) and the Conn, over b.N connections of b.N distinct
// users (load00001, load00002...) to the ejabberd of scripts/servers, over
// STARTTLS with PLAIN (SCRAM would spend the server's CPU on key
// derivation, not the client's memory). Run it with
//
//	go test -tags integration -run XXX -bench EjabberdTLS -benchtime 5000x -timeout 30m ./xmpp/
//
// The users are registered through the HTTP API before the measurement and
// removed after it. B/conn is the whole client-side cost, stack-B/conn the
// part that is goroutine stacks and goroutines/conn how many goroutines an
// idle connection keeps (one: its reader); logins/s is the rate of logins
// with loadDialers at a time (ns/op is its inverse). Set GOSMACK_TLS_HEAP to a file name to
// get a heap profile of the idle connections, every allocation sampled:
//
//	go tool pprof -sample_index=inuse_space -top xmpp.test $GOSMACK_TLS_HEAP
func BenchmarkIntegrationEjabberdTLSConnMemory(b *testing.B) {
	connMemory(b, func(s *testserver.Server) string { return s.StartTLSAddr })
}

// BenchmarkIntegrationEjabberdWebSocketConnMemory is the benchmark above
// over a WebSocket (wss://, the same TLS, PLAIN), beside it:
//
//	go test -tags integration -run XXX -bench 'Ejabberd(TLS|WebSocket)' -benchtime 2000x -timeout 30m ./xmpp/
func BenchmarkIntegrationEjabberdWebSocketConnMemory(b *testing.B) {
	connMemory(b, func(s *testserver.Server) string { return s.WebSocketTLSURL })
}

// BenchmarkIntegrationEjabberdBOSHConnMemory is the benchmark above over
// BOSH (https://, the same TLS, PLAIN): an idle session keeps a request
// held at the manager, so its connection, and a goroutine waiting on it.
//
//	go test -tags integration -run XXX -bench 'Ejabberd(TLS|WebSocket|BOSH)' -benchtime 500x -timeout 30m ./xmpp/
func BenchmarkIntegrationEjabberdBOSHConnMemory(b *testing.B) {
	connMemory(b, func(s *testserver.Server) string { return s.BOSHTLSURL })
}

// connMemory measures idle connections to ejabberd at the Config.Addr
// addr gives.
func connMemory(b *testing.B, addr func(*testserver.Server) string) {
	heapFile := os.Getenv("GOSMACK_TLS_HEAP")
	if heapFile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	s := testserver.Get(b, "ejabberd")
	n := b.N
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("load%05d", i+1)
	}
	password := func(user string) string { return user + "-secret" }

	start := time.Now()
	if err := loadParallel(n, loadRegistrars, func(i int) error {
		return s.RegisterErr(users[i], password(users[i]))
	}); err != nil {
		b.Fatalf("registering %d users: %v", n, err)
	}
	b.Logf("registered %d users in %v", n, time.Since(start).Round(time.Millisecond))
	b.Cleanup(func() {
		start := time.Now()
		if err := loadParallel(n, loadRegistrars, func(i int) error {
			return s.UnregisterErr(users[i])
		}); err != nil {
			b.Errorf("removing the users: %v", err)
		}
		testserver.CloseIdleAPIConnections()
		b.Logf("removed %d users in %v", n, time.Since(start).Round(time.Millisecond))
	})

	conns := make([]*xmpp.Conn, n)
	b.Cleanup(func() {
		start := time.Now()
		var open atomic.Int64
		loadParallel(n, loadClosers, func(i int) error {
			if conns[i] != nil {
				open.Add(1)
				conns[i].Close()
			}
			return nil
		})
		b.Logf("closed %d connections in %v", open.Load(), time.Since(start).Round(time.Millisecond))
	})
	// Each Dial builds its Config: a slice of them made here would be in
	// the baseline and not in the measurement.
	tlsConfig := s.TLSConfig()
	config := func(i int) (xmpp.Config, error) {
		j, err := jid.New(users[i], s.Domain, "load")
		return xmpp.Config{
			JID:        j,
			Password:   password(users[i]),
			Addr:       addr(s),
			TLS:        tlsConfig,
			Mechanisms: []string{"PLAIN"},
		}, err
	}

	// The HTTP API's idle connections, and their goroutines, are not the
	// XMPP connections' cost.
	testserver.CloseIdleAPIConnections()
	time.Sleep(100 * time.Millisecond)
	before := heapAndStacks()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stacksBefore := ms.StackInuse
	goroutinesBefore := runtime.NumGoroutine()

	b.ResetTimer()
	start = time.Now()
	var connected atomic.Int64
	err := loadParallel(n, loadDialers, func(i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		cfg, err := config(i)
		if err != nil {
			return err
		}
		c, err := xmpp.Dial(ctx, cfg)
		if err != nil {
			return fmt.Errorf("logging in as %s to %s (%d of %d connections were up): %w",
				cfg.JID, cfg.Addr, connected.Load(), n, err)
		}
		conns[i] = c
		connected.Add(1)
		return nil
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	// Let the dispatchers that delivered the server's echo of the initial
	// presence exit, and the last handshakes' garbage go.
	time.Sleep(500 * time.Millisecond)
	for i, c := range conns {
		if !c.IsConnected() {
			b.Fatalf("the connection of %s ended while idle: %v", users[i], c.Err())
		}
	}
	after := heapAndStacks()
	runtime.ReadMemStats(&ms)
	stacksAfter := ms.StackInuse
	if heapFile != "" {
		out, err := os.Create(heapFile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
			b.Fatal(err)
		}
		out.Close()
	}
	b.ReportMetric(float64(int64(after)-int64(before))/float64(n), "B/conn")
	b.ReportMetric(float64(int64(stacksAfter)-int64(stacksBefore))/float64(n), "stack-B/conn")
	b.ReportMetric(float64(runtime.NumGoroutine()-goroutinesBefore)/float64(n), "goroutines/conn")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "logins/s")
	runtime.KeepAlive(conns)
}

// loadParallel runs f(0) to f(n-1) on at most workers goroutines and
// returns the first error; after an error no further f starts.
func loadParallel(n, workers int, f func(i int) error) error {
	var (
		next     atomic.Int64
		failed   atomic.Bool
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
