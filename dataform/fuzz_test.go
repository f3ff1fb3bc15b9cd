package dataform_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/dataform"
)

// FuzzUnmarshal: whatever element arrives decodes without panicking, and
// a form that decodes encodes to an element that decodes to the same form.
func FuzzUnmarshal(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`<x xmlns='jabber:x:data'><title/><title>t</title><reported/><reported><field var='a'/></reported><item/></x>`))
	f.Add([]byte(`<x xmlns='jabber:x:data' type='form'><field><desc/><desc>d</desc><option/><option label='l'><value>a</value><value>b</value></option><v xmlns='urn:v' a='1'>t<w/></v></field></x>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseXML(data)
		if err != nil {
			return
		}
		var form dataform.Form
		if form.UnmarshalNode(n) != nil {
			return
		}
		enc, err := form.MarshalNode()
		require.NoError(t, err)
		var again dataform.Form
		require.NoError(t, again.UnmarshalNode(enc))
		require.Equal(t, form, again)
		_ = form.FormType()
		for i := range form.Fields {
			fd := &form.Fields[i]
			_, _ = fd.Bool()
			_, _ = fd.JIDs()
		}
		if a, err := form.Answer(); err == nil {
			for i := range form.Fields {
				fd := &form.Fields[i]
				_ = a.Set(fd.Var, fd.Values...)
			}
			_, _ = a.Submit()
		}
	})
}
