// Package archtest checks the shape of the module: which package may import
// which, and which modules outside the standard library the code uses.
package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/gosmack/gosmack"

// tierOf places each package of the module in a tier; a package may import
// packages of its own tier or lower, never higher (ARCHITECTURE.md). So the
// connection never depends on a manager, and jid and sasl depend on nothing
// of ours.
func tierOf(rel string) int {
	switch {
	case rel == "jid", rel == "sasl":
		return 0 // leaves
	case rel == "stanza":
		return 1
	case strings.HasPrefix(rel, "internal/testserver"), strings.HasPrefix(rel, "internal/archtest"), rel == "internal/progtest":
		return 5 // test tooling may use anything
	case rel == "internal/iqquery":
		return 3 // shared by managers, above the connection
	case strings.HasPrefix(rel, "internal/"):
		return 1 // plumbing below the connection (the stream codec)
	case rel == "xmpp":
		return 2
	case strings.HasPrefix(rel, "examples"):
		return 4
	default:
		return 3 // managers and other features: roster, muc, ping, receipts, disco, xmpptest
	}
}

// thirdParty are the only modules outside the standard library that code
// may import; testify only from tests.
var (
	thirdParty     = []string{"golang.org/x/net/", "golang.org/x/text/"}
	testThirdParty = []string{"github.com/stretchr/testify/"}
)

type pkg struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	// go test caches a result by the files the test itself touches, not by
	// what "go list" reads; stat every Go file so that a changed import
	// reruns this test.
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages of %s", len(pkgs), module)
	}
	return pkgs
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func hasPrefixIn(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path+"/", p) {
			return true
		}
	}
	return false
}

func TestTiers(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if tierOf(dep) > tierOf(rel) {
				t.Errorf("%s (tier %d) imports %s (tier %d): a package may import only its own tier or lower", rel, tierOf(rel), dep, tierOf(dep))
			}
		}
	}
}

func TestThirdPartyImports(t *testing.T) {
	for _, p := range listPackages(t) {
		check := func(imports []string, allowed []string, what string) {
			for _, imp := range imports {
				if isStd(imp) || strings.HasPrefix(imp, module+"/") || imp == module || hasPrefixIn(imp, allowed) {
					continue
				}
				t.Errorf("%s: %s imports %s, outside the agreed dependencies (x/net, x/text; testify in tests)", p.ImportPath, what, imp)
			}
		}
		check(p.Imports, thirdParty, "code")
		tests := append(append([]string{}, thirdParty...), testThirdParty...)
		check(p.TestImports, tests, "a test")
		check(p.XTestImports, tests, "a test")
	}
}

// The tier rule is only worth something if it catches a bad import.
func TestTierOfCatchesCoreImportingAManager(t *testing.T) {
	if tierOf("roster") <= tierOf("xmpp") || tierOf("xmpp") <= tierOf("stanza") || tierOf("stanza") <= tierOf("jid") {
		t.Fatal("tiers must order jid < stanza < xmpp < roster")
	}
}
