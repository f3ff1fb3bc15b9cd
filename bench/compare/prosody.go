package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/xmpp"
)

// CPU per message through a real server: one process of the library
// logs in to the running Prosody as bob and receives, another as alice
// sends n chat messages of 100 bytes to bob's full JID, over STARTTLS.
// Each reports the CPU it spent: the sender from its first Send to the
// moment the receiver has them all (acknowledgements included), the
// receiver from its login to the last message.

func readProsody(file string) (serverInfo, error) {
	var p serverInfo
	b, err := os.ReadFile(file)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

func prosodyTarget(user, resource string) (target, error) {
	p, err := readProsody(*flagProsody)
	if err != nil {
		return target{}, err
	}
	tc, err := clientTLS(p.CAFile, p.Domain)
	if err != nil {
		return target{}, err
	}
	t := target{addr: p.StartTLSAddr, tls: tc, user: user, domain: p.Domain, resource: resource, mechanism: "PLAIN"}
	t.password = p.password(user)
	if t.password == "" {
		return t, fmt.Errorf("no user %s in %s", user, *flagProsody)
	}
	return t, nil
}

// childProsody is the receiver ("recv": prints "ready JID", then its
// result) or the sender ("send": sends, waits for a line on its
// standard input, prints its result).
func childProsody(ctx context.Context, lib library, role string) error {
	stop, err := startProfile(lib.name + "-" + role)
	if err != nil {
		return err
	}
	defer stop()
	n := *flagN
	resource := fmt.Sprintf("compare-%s-%d", role, os.Getpid())
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if role == "recv" {
		t, err := prosodyTarget("bob", resource)
		if err != nil {
			return err
		}
		var got atomic.Int64
		done := make(chan struct{})
		c, err := lib.login(lctx, t, func(body string) {
			if body == messageBody && got.Add(1) == int64(n) {
				close(done)
			}
		})
		if err != nil {
			return fmt.Errorf("%s: login: %w", lib.name, err)
		}
		defer c.close()
		c0 := cpuTime()
		fmt.Printf("ready %s/%s\n", t.bare(), resource)
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			return fmt.Errorf("%s: %d of %d messages after 5 minutes", lib.name, got.Load(), n)
		}
		return emit(float64(cpuTime()-c0)/float64(time.Microsecond)/float64(n), "")
	}
	t, err := prosodyTarget("alice", resource)
	if err != nil {
		return err
	}
	c, err := lib.login(lctx, t, func(string) {})
	if err != nil {
		return fmt.Errorf("%s: login: %w", lib.name, err)
	}
	defer c.close()
	c0, w0 := cpuTime(), time.Now()
	for range n {
		if err := c.send(ctx, *flagAddr, messageBody); err != nil {
			return err
		}
	}
	sent := time.Since(w0)
	bufio.NewReader(os.Stdin).ReadString('\n') // the receiver has them all
	return emit(float64(cpuTime()-c0)/float64(time.Microsecond)/float64(n), fmt.Sprintf("sends took %.2f s", sent.Seconds()))
}

// prosodyRound runs one receiver and one sender of lib.
func prosodyRound(ctx context.Context, lib library) (send, recv result, err error) {
	exe, err := os.Executable()
	if err != nil {
		return send, recv, err
	}
	n := fmt.Sprint(*flagN)
	prof := "-cpuprofile=" + *flagCPUProfile
	rc := exec.CommandContext(ctx, exe, "-child", "recv", "-lib", lib.name, "-n", n, "-prosody", *flagProsody, prof)
	rc.Stderr = os.Stderr
	rout, _ := rc.StdoutPipe()
	if err := rc.Start(); err != nil {
		return send, recv, err
	}
	defer rc.Wait()
	rr := bufio.NewReader(rout)
	line, err := rr.ReadString('\n')
	if !strings.HasPrefix(line, "ready ") {
		rc.Process.Kill()
		return send, recv, fmt.Errorf("receiver: %q %v", line, err)
	}
	to := strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	sc := exec.CommandContext(ctx, exe, "-child", "send", "-lib", lib.name, "-n", n, "-addr", to, "-prosody", *flagProsody, prof)
	sc.Stderr = os.Stderr
	sin, _ := sc.StdinPipe()
	sout, _ := sc.StdoutPipe()
	if err := sc.Start(); err != nil {
		rc.Process.Kill()
		return send, recv, err
	}
	defer sc.Wait()
	if err := json.NewDecoder(rr).Decode(&recv); err != nil {
		sc.Process.Kill()
		return send, recv, fmt.Errorf("receiver: %w", err)
	}
	sin.Write([]byte("done\n"))
	if err := json.NewDecoder(sout).Decode(&send); err != nil {
		return send, recv, fmt.Errorf("sender: %w", err)
	}
	return send, recv, nil
}

func orchestrateProsody(ctx context.Context, libs []library) ([]table, error) {
	p, err := readProsody(*flagProsody)
	if err != nil {
		return nil, fmt.Errorf("no running Prosody (%w): skipped", err)
	}
	if err := noArchive(ctx); err != nil {
		return nil, fmt.Errorf("setting alice's and bob's archiving preferences: %w", err)
	}
	title := fmt.Sprintf("%d chat messages of 100 bytes from one process to another through Prosody (%s, STARTTLS), median of %d rounds", *flagN, p.StartTLSAddr, *flagRounds)
	ts := table{title: "Sender: " + title, unit: "CPU µs/message"}
	tr := table{title: "Receiver: " + title, unit: "CPU µs/message"}
	for _, l := range libs {
		var sends, recvs []float64
		var note string
		var failed error
		for range *flagRounds {
			s, r, err := prosodyRound(ctx, l)
			if err != nil {
				failed = err
				break
			}
			sends, recvs, note = append(sends, s.Value), append(recvs, r.Value), s.Extra
		}
		if failed != nil {
			ts.rows = append(ts.rows, row{lib: l.name, peer: l.peer, value: math.NaN(), note: "failed: " + failed.Error()})
			tr.rows = append(tr.rows, row{lib: l.name, peer: l.peer, value: math.NaN(), note: "failed: " + failed.Error()})
			continue
		}
		ts.rows = append(ts.rows, row{lib: l.name, peer: l.peer, value: median(sends), note: "last round: " + note})
		tr.rows = append(tr.rows, row{lib: l.name, peer: l.peer, value: median(recvs)})
	}
	return []table{ts, tr}, nil
}

// noArchive sets alice's and bob's archiving preferences (XEP-0313) to
// never: Prosody archives every one-to-one message by default, and a
// flood of them into the archive slows the server down, and with it
// every library's acknowledgements and reads (the run measures the
// clients, not the archive).
func noArchive(ctx context.Context) error {
	for _, user := range []string{"alice", "bob"} {
		t, err := prosodyTarget(user, "compare-prefs")
		if err != nil {
			return err
		}
		j, err := jid.New(t.user, t.domain, "")
		if err != nil {
			return err
		}
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := xmpp.Dial(lctx, xmpp.Config{JID: j, Password: t.password, Resource: t.resource, Addr: t.addr, TLS: t.tls, NoInitialPresence: true})
		if err == nil {
			_, err = mam.For(c).SetPrefs(lctx, mam.Prefs{Default: mam.Never})
			c.Close()
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", user, err)
		}
	}
	return nil
}
