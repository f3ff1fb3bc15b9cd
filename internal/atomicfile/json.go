package atomicfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrFormat is wrapped by the error ReadJSON returns for a file that is
// not JSON of the format asked for.
var ErrFormat = errors.New("not the expected content")

// ReadJSON reads the JSON object in the file at path into v. The object's
// "format" member must be format: the stores write their version there.
// A missing file reports found false and no error; a file that is not
// such an object is an error wrapping ErrFormat; any other error is the
// file system's.
func ReadJSON(path string, format int, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return true, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if head.Format != format {
		return true, fmt.Errorf("%w: format %d, want %d", ErrFormat, head.Format, format)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return true, nil
}
