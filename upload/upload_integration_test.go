//go:build integration

package upload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/upload"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests upload to the services that scripts/servers configure on
// Prosody (http_file_share) and ejabberd (mod_http_upload):
// upload.localhost, whose URLs name localhost and the HTTPS port, with a
// limit of 10 MiB. Set GOSMACK_XMPP_DEBUG=1 to see every element on
// stderr.

const serverLimit = 10 << 20

// longContext bounds a test that moves megabytes: testserver.Context's
// 15 seconds are for one network step.
func longContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestIntegrationUpload: the service is found with the configured limit;
// 5 MB uploaded through a reader come back byte for byte from the GET
// URL; the URL shared with another account arrives with out-of-band
// data; a file over the limit is refused before a byte of it is read or
// a slot is asked for.
func TestIntegrationUpload(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := longContext(t)
		c := testserver.Login(t, s.NewAccount(t, "upload"), nil)
		bobCfg := s.NewAccount(t, "upload-peer")
		shared := make(chan *stanza.Message, 1)
		testserver.Login(t, bobCfg, func(c *xmpp.Conn) {
			c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
				if _, ok := upload.ReadOOB(m); ok {
					shared <- m
				}
			})
		})
		up := upload.For(c)

		svc, err := up.Service(ctx)
		require.NoError(t, err)
		assert.Equal(t, upload.Service{JID: jid.MustParse("upload." + s.Domain), MaxFileSize: serverLimit}, svc)

		const size = 5_000_000
		data := make([]byte, size)
		seed := sha256.Sum256([]byte(t.Name()))
		for i := 0; i < size; i += len(seed) {
			seed = sha256.Sum256(seed[:])
			copy(data[i:], seed[:])
		}
		var calls int
		var last upload.Progress
		name := testserver.Unique("file") + ".bin"
		u, err := up.Upload(ctx, upload.File{
			Name: name, Size: size, ContentType: "application/octet-stream", Body: bytes.NewReader(data),
			Progress: func(p upload.Progress) { calls++; last = p },
		})
		require.NoError(t, err)
		assert.Equal(t, "https", u.Scheme)
		assert.Equal(t, s.Domain, u.Hostname())
		assert.Equal(t, upload.Progress{Sent: size, Size: size}, last)
		assert.GreaterOrEqual(t, calls, size/(64<<10))

		got := get(t, ctx, s, u.String())
		assert.Equal(t, size, len(got))
		assert.True(t, bytes.Equal(data, got), "the file comes back byte for byte")

		_, err = up.Share(ctx, bobCfg.JID, stanza.Chat, u.String())
		require.NoError(t, err)
		select {
		case m := <-shared:
			o, _ := upload.ReadOOB(m)
			assert.Equal(t, u.String(), o.URL)
			assert.Equal(t, u.String(), m.Body(""))
		case <-ctx.Done():
			t.Fatal("the shared URL did not arrive")
		}

		body := &countingReader{r: bytes.NewReader(make([]byte, 16))}
		_, err = up.Upload(ctx, upload.File{Name: "big.bin", Size: serverLimit + 1, Body: body})
		var tooLarge *upload.TooLargeError
		require.True(t, errors.As(err, &tooLarge), "%v", err)
		assert.Equal(t, upload.TooLargeError{Size: serverLimit + 1, Max: serverLimit}, *tooLarge)
		assert.Zero(t, body.n, "nothing was read")

		// Asked directly, the service refuses the size itself.
		_, err = up.RequestSlot(ctx, "big.bin", serverLimit+1, "")
		require.True(t, errors.As(err, &tooLarge), "%v", err)
	})
}

// get downloads url, trusting only s's CA.
func get(t *testing.T, ctx context.Context, s *testserver.Server, url string) []byte {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.TLSConfig().RootCAs}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}
