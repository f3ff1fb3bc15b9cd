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

// OpenStore reads the store file at path into v, as ReadJSON does, and
// words its errors as the stores report them: a file that is not the
// store (ErrFormat) is an error wrapping corrupt, the store's sentinel,
// that names path and the cause; any other error is the file system's,
// wrapped with op ("mam: opening the store: ..."). A missing file
// reports found false and no error.
func OpenStore(path string, format int, v any, corrupt error, op string) (found bool, err error) {
	found, err = ReadJSON(path, format, v)
	switch {
	case errors.Is(err, ErrFormat):
		return found, fmt.Errorf("%w: %s: %w", corrupt, path, err)
	case err != nil:
		return found, fmt.Errorf("%s: %w", op, err)
	}
	return found, nil
}

// WriteJSON writes v as JSON, indented with tabs when indent is set, and
// a newline to path with Write. An error, json.Marshal's or Write's, is
// wrapped with op and path ("mam: saving the store /x/last.json: ...").
func WriteJSON(path string, v any, indent bool, op string) error {
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "\t")
	} else {
		b, err = json.Marshal(v)
	}
	if err == nil {
		err = Write(path, append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return nil
}
