package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// apiClient talks to ejabberd's HTTP API. It keeps enough idle connections
// for the concurrent registrations of a load test (the default transport
// keeps two per host, so that most requests would open a new connection
// and leave a socket in TIME_WAIT).
var apiClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	},
}

// ejabberd's answer to /api/register for a name that is taken: HTTP 409
// with {"status":"error","code":10090,"message":"User ... already
// registered"}.
const apiCodeAlreadyRegistered = 10090

// Register creates the account user@Domain with the given password
// through the server's HTTP API (ejabberd's register command, which the
// script allows from loopback), or fails the test. It is idempotent: when
// the name is taken, the existing account is removed (with its roster,
// offline messages and archive, and any session of it is closed) and
// registered again, so that afterwards the account exists with exactly
// this password. It fails the test for a server without an API (Prosody);
// in-band registration (xmpp.CreateAccount) works on both.
func (s *Server) Register(t testing.TB, user, password string) {
	t.Helper()
	if err := s.register(user, password); err != nil {
		t.Fatal(err)
	}
}

// Unregister removes the account user@Domain through the server's HTTP
// API, or fails the test. Removing an account that does not exist is not
// an error (ejabberd answers it like any other).
func (s *Server) Unregister(t testing.TB, user string) {
	t.Helper()
	if err := s.unregister(user); err != nil {
		t.Fatal(err)
	}
}

// RegisterErr is Register for goroutines other than the test's (t.Fatal
// must not be called there): it returns the error instead of failing the
// test.
func (s *Server) RegisterErr(user, password string) error { return s.register(user, password) }

// UnregisterErr is Unregister returning the error instead of failing the
// test.
func (s *Server) UnregisterErr(user string) error { return s.unregister(user) }

func (s *Server) register(user, password string) error {
	if err := s.needAPI("register"); err != nil {
		return err
	}
	args := map[string]string{"user": user, "host": s.Domain, "password": password}
	code, apiErr, err := s.call("register", args)
	if err != nil {
		return err
	}
	if code == http.StatusConflict && apiErr.Code == apiCodeAlreadyRegistered {
		if err := s.unregister(user); err != nil {
			return err
		}
		code, apiErr, err = s.call("register", args)
		if err != nil {
			return err
		}
	}
	if code != http.StatusOK {
		return fmt.Errorf("testserver: %s: registering %s@%s: HTTP %d: %s", s.Name, user, s.Domain, code, apiErr.Message)
	}
	return nil
}

func (s *Server) unregister(user string) error {
	if err := s.needAPI("unregister"); err != nil {
		return err
	}
	code, apiErr, err := s.call("unregister", map[string]string{"user": user, "host": s.Domain})
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("testserver: %s: unregistering %s@%s: HTTP %d: %s", s.Name, user, s.Domain, code, apiErr.Message)
	}
	return nil
}

func (s *Server) needAPI(command string) error {
	if s.APIURL == "" {
		return fmt.Errorf("testserver: %s has no HTTP API (api_url in server.json) to %s accounts with; use a server that has one (ejabberd) or in-band registration", s.Name, command)
	}
	return nil
}

// apiError is the body of an ejabberd API error.
type apiError struct {
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call posts a command to the HTTP API and returns the status code and,
// for an error, the decoded error body.
func (s *Server) call(command string, args map[string]string) (int, apiError, error) {
	body, _ := json.Marshal(args)
	resp, err := apiClient.Post(s.APIURL+"/"+command, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, apiError{}, fmt.Errorf("testserver: %s: %s: %w", s.Name, command, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, apiError{}, fmt.Errorf("testserver: %s: %s: reading the answer: %w", s.Name, command, err)
	}
	var ae apiError
	if resp.StatusCode != http.StatusOK {
		if json.Unmarshal(b, &ae) != nil || ae.Message == "" {
			ae.Message = string(b)
		}
	}
	return resp.StatusCode, ae, nil
}

// CloseIdleAPIConnections closes the idle keep-alive connections to the
// HTTP API, so that a measurement taken afterwards does not count them.
func CloseIdleAPIConnections() { apiClient.CloseIdleConnections() }
