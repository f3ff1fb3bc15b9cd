package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

// writeCA writes a self-signed certificate for benchDomain and its key
// into dir, for the scripted server's TLS.
func writeCA(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: benchDomain},
		DNSNames: []string{benchDomain}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
}

func serverTLS(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}, nil
}

// clientTLS trusts the CA in file, for serverName.
func clientTLS(file, serverName string) (*tls.Config, error) {
	pemBytes, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}, nil
}

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// The receive path: one connection per round logs in to the scripted
// server and asks for the flood; the CPU the process spends from that
// request to the last message handed to the library's message callback,
// per message.
func childReceive(ctx context.Context, lib library) error {
	t, err := scriptedTarget(*flagDir)
	if err != nil {
		return err
	}
	n := *flagN
	var cpu, wall []float64
	stop, err := startProfile(lib.name + "-receive")
	if err != nil {
		return err
	}
	defer stop()
	for range *flagRounds {
		var got atomic.Int64
		done := make(chan struct{})
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := lib.login(lctx, t, func(string) {
			if got.Add(1) == int64(n) {
				close(done)
			}
		})
		cancel()
		if err != nil {
			return fmt.Errorf("%s: login: %w", lib.name, err)
		}
		runtime.GC()
		c0, w0 := cpuTime(), time.Now()
		if err := c.send(ctx, floodJID, "go"); err != nil {
			return err
		}
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			return fmt.Errorf("%s: %d of %d messages after 2 minutes", lib.name, got.Load(), n)
		}
		cpu = append(cpu, float64(cpuTime()-c0)/float64(time.Microsecond)/float64(n))
		wall = append(wall, float64(time.Since(w0))/float64(time.Microsecond)/float64(n))
		c.close()
	}
	return emit(median(cpu), fmt.Sprintf("wall %.2f µs/msg", median(wall)))
}

// The reference: encoding/xml's Token loop over the same bytes, in
// memory.
func childXMLToken() error {
	n := *flagN
	data := append(append([]byte("<stream>"), floodBytes(n)...), "</stream>"...)
	var cpu []float64
	for range *flagRounds {
		runtime.GC()
		c0 := cpuTime()
		d := xml.NewDecoder(bytes.NewReader(data))
		count := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "message" {
				count++
			}
		}
		if count != n {
			return fmt.Errorf("encoding/xml: %d messages of %d", count, n)
		}
		cpu = append(cpu, float64(cpuTime()-c0)/float64(time.Microsecond)/float64(n))
	}
	return emit(median(cpu), "")
}

func orchestrateReceive(ctx context.Context, libs []library, dir string) ([]table, error) {
	addr, stop, err := startServer("plain", dir, *flagN)
	if err != nil {
		return nil, err
	}
	defer stop()
	t := table{title: fmt.Sprintf("Receive path: %d chat messages of 100 bytes from a scripted server, plaintext, to each library's message callback", *flagN), unit: "CPU µs/message"}
	for _, l := range libs {
		args := []string{"-child", "receive", "-lib", l.name, "-addr", addr, "-n", fmt.Sprint(*flagN), "-rounds", fmt.Sprint(*flagRounds)}
		if *flagCPUProfile != "" {
			args = append(args, "-cpuprofile", *flagCPUProfile)
		}
		r, err := self(ctx, args...)
		t.rows = append(t.rows, resultRow(l, r, err))
	}
	r, err := self(ctx, "-child", "xmltoken", "-n", fmt.Sprint(*flagN), "-rounds", fmt.Sprint(*flagRounds))
	t.rows = append(t.rows, resultRow(library{name: "encoding/xml Token loop, same bytes in memory (reference)"}, r, err))
	return []table{t}, nil
}

func resultRow(l library, r result, err error) row {
	if err != nil {
		return row{lib: l.name, peer: l.peer, value: math.NaN(), note: "failed: " + err.Error()}
	}
	return row{lib: l.name, peer: l.peer, value: r.Value, note: r.Extra}
}

// Idle memory: b connections log in and stay; heap in use plus stacks
// per connection, net of a bare socket to the same server measured in
// the same process just before.
func childIdle(ctx context.Context, lib library) error {
	t, err := scriptedTarget(*flagDir)
	if err != nil {
		return err
	}
	k := *flagIdle
	before := heapAndStacks()
	bare := make([]net.Conn, 0, k)
	for range k {
		c, err := net.Dial("tcp", t.addr)
		if err != nil {
			return err
		}
		bare = append(bare, c)
	}
	perSocket := float64(heapAndStacks()-before) / float64(k)
	for _, c := range bare {
		c.Close()
	}
	bare = nil
	time.Sleep(100 * time.Millisecond)

	clients := make([]client, 0, k)
	g0 := runtime.NumGoroutine()
	before = heapAndStacks()
	for range k {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := lib.login(lctx, t, func(string) {})
		cancel()
		if err != nil {
			return fmt.Errorf("%s: login: %w", lib.name, err)
		}
		clients = append(clients, c)
	}
	time.Sleep(300 * time.Millisecond) // the last logins' stragglers settle
	after := heapAndStacks()
	goroutines := float64(runtime.NumGoroutine()-g0) / float64(k)
	perConn := float64(int64(after)-int64(before))/float64(k) - perSocket
	for _, c := range clients {
		c.close()
	}
	return emit(perConn, fmt.Sprintf("%.0f goroutines/conn", goroutines))
}

func heapAndStacks() uint64 {
	var ms runtime.MemStats
	for range 4 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}

func orchestrateIdle(ctx context.Context, libs []library, dir string) ([]table, error) {
	var tables []table
	for _, mode := range []string{"plain", "tls"} {
		addr, stop, err := startServer(mode, dir, 0)
		if err != nil {
			return nil, err
		}
		title := "plaintext, PLAIN"
		if mode == "tls" {
			title = "STARTTLS (TLS 1.3), PLAIN"
		}
		t := table{title: fmt.Sprintf("Idle memory: %d logged-in connections to a scripted server, %s; heap in use plus stacks net of a bare socket", *flagIdle, title), unit: "B/connection"}
		for _, l := range libs {
			args := []string{"-child", "idle", "-lib", l.name, "-addr", addr, "-dir", dir, "-idle", fmt.Sprint(*flagIdle)}
			if mode == "tls" {
				args = append(args, "-tls")
			}
			r, err := self(ctx, args...)
			t.rows = append(t.rows, resultRow(l, r, err))
		}
		stop()
		tables = append(tables, t)
	}
	return tables, nil
}

// startProfile starts a CPU profile of this process in the -cpuprofile
// directory, as name.prof, and returns what stops it; without the flag
// it does nothing.
func startProfile(name string) (stop func(), err error) {
	if *flagCPUProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(*flagCPUProfile, name+".prof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
