package base64text

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	for _, s := range []string{"aGVsbG8gd29ybGQ=", "aGVs\nbG8g\r\nd29y bGQ=", "\taGVsbG8gd29ybGQ=\n"} {
		got, err := Decode(s)
		require.NoError(t, err, "%q", s)
		assert.Equal(t, "hello world", string(got), "%q", s)
	}
	for _, s := range []string{"aGVsbG8*", "aGVsbG8", "aGVs\vbG8="} {
		_, err := Decode(s)
		assert.Error(t, err, "%q is not base64", s)
	}
}
