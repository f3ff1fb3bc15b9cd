package progtest

import (
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
)

// helperEnv makes this test binary act as the program under test: a bot
// that goes online and exits 3 on SIGTERM, or one that prints a line and
// exits 1 at once.
const helperEnv = "PROGTEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "bot":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("online as alice@localhost/progtest via tcp")
		<-sigs
		fmt.Fprintln(os.Stderr, "terminated")
		os.Exit(3)
	case "exit":
		fmt.Println("ready 42")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// The timeouts below only bound how long a failure takes.

func TestStartSignalWait(t *testing.T) {
	p := Start(t, os.Args[0], []string{helperEnv + "=bot"})
	assert.Equal(t, jid.MustParse("alice@localhost/progtest"), p.WaitOnline(t, time.Minute))
	assert.NoError(t, p.Err(), "still running")
	p.Signal(t, syscall.SIGTERM)
	assert.Equal(t, 3, p.Wait(t, time.Minute))
	assert.Equal(t, "terminated\n", p.Stderr.String())
	select {
	case <-p.Done():
	default:
		t.Fatal("Done is open after Wait")
	}
}

func TestWaitForAfterExit(t *testing.T) {
	p := Start(t, os.Args[0], []string{helperEnv + "=exit"})
	assert.Equal(t, 1, p.Wait(t, time.Minute))
	assert.Error(t, p.Err())
	m := p.WaitFor(t, p.Stdout, regexp.MustCompile(`(?m)^ready (\d+)$`), time.Minute)
	require.Equal(t, []string{"ready 42", "42"}, m)
}
