package dataform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gosmack/gosmack/jid"
)

// Answer is the answer to a form being filled in (Smack's FillableForm,
// what Form.createAnswerForm and setAnswer did in older Smack). Get one
// from Form.Answer, Set the fields, then Submit:
//
//	a, err := form.Answer()
//	if err != nil { ... }
//	if err := a.Set("muc#roomconfig_roomname", "Balcony"); err != nil { ... }
//	if err := a.SetBool("muc#roomconfig_persistentroom", true); err != nil { ... }
//	submit, err := a.Submit() // a Form of type submit
//
// An Answer is not safe for concurrent use. The zero Answer answers an
// empty form.
type Answer struct {
	form Form
	set  map[string][]string // the fields Set, by var
}

// Answer starts the answer to f, which must be of type form (else the
// error matches ErrNotForm). The answer starts from the form's defaults:
// what Submit returns without any Set is the hidden fields as received
// and every field that has a default value, with that value. f is copied;
// later changes to it do not affect the answer.
func (f *Form) Answer() (*Answer, error) {
	if f.Type != TypeForm {
		return nil, fmt.Errorf("%w: its type is %q", ErrNotForm, f.Type)
	}
	return &Answer{form: f.Clone()}, nil
}

// Form returns the form being answered. The caller must not modify it.
func (a *Answer) Form() *Form { return &a.form }

// Set sets the answer to the field v to values, replacing what was set or
// the default; no values clears the field (it is then submitted with no
// value, which asks to unset it). The values are checked against the
// field's type (an unknown or absent type is text-single):
//
//   - boolean: one value, "1", "true", "0" or "false";
//   - jid-single: one valid JID; jid-multi: valid JIDs, duplicates
//     dropped; both are stored in canonical form;
//   - list-single: one of the options; list-multi: options, duplicates
//     dropped; a field with XEP-0122's <open/> accepts other values too;
//   - text-single, text-private: one line;
//   - text-multi: any text, split into one value per line;
//   - fixed and hidden fields cannot be set (ErrReadOnly).
//
// A var the form does not have is an error matching ErrUnknownField, a
// value that does not fit one matching ErrInvalidValue; the answer is
// then unchanged.
func (a *Answer) Set(v string, values ...string) error {
	fd := a.form.Field(v)
	if fd == nil || v == "" {
		return fmt.Errorf("%w: %q", ErrUnknownField, v)
	}
	vals, err := check(fd, values)
	if err != nil {
		return err
	}
	if a.set == nil {
		a.set = make(map[string][]string)
	}
	a.set[v] = vals
	return nil
}

// SetBool sets a boolean field to "1" or "0"; see Set.
func (a *Answer) SetBool(v string, b bool) error {
	if b {
		return a.Set(v, "1")
	}
	return a.Set(v, "0")
}

// SetJID sets a jid-single or jid-multi field (or a text field) to the
// JIDs; see Set.
func (a *Answer) SetJID(v string, js ...jid.JID) error {
	values := make([]string, len(js))
	for i, j := range js {
		values[i] = j.String()
	}
	return a.Set(v, values...)
}

// Values returns the answer to the field v as it stands: what was Set, or
// the form's default values. The caller must not modify them.
func (a *Answer) Values(v string) []string {
	if vals, ok := a.set[v]; ok {
		return vals
	}
	return a.form.Values(v)
}

// Missing returns the vars of the required fields that have no answer yet
// (no value, or only empty values), in form order. A default value counts
// as an answer; fixed and hidden fields, which an answer cannot set, are
// not counted.
func (a *Answer) Missing() []string {
	var missing []string
	for i := range a.form.Fields {
		fd := &a.form.Fields[i]
		if fd.Required && fd.Var != "" && fd.kind() != Fixed && fd.kind() != Hidden && !slices.ContainsFunc(a.Values(fd.Var), func(s string) bool { return s != "" }) {
			missing = append(missing, fd.Var)
		}
	}
	return missing
}

// Submit returns the form of type submit to send: in the form's order,
// each field with a var except the fixed ones, with its var, its type as
// received and its answer (hidden fields as received). A field not Set and
// without a default is left out (XEP-0004 lets a submission omit optional
// fields); a field Set with no values is sent with none. When required
// fields have no answer, Submit returns a *MissingError (matching
// ErrMissing) and no form.
func (a *Answer) Submit() (Form, error) {
	if m := a.Missing(); m != nil {
		return Form{}, &MissingError{Vars: m}
	}
	s := Form{Type: TypeSubmit}
	for i := range a.form.Fields {
		fd := &a.form.Fields[i]
		if fd.Var == "" || fd.kind() == Fixed {
			continue
		}
		vals, ok := a.set[fd.Var]
		if !ok {
			vals = fd.Values
			if len(vals) == 0 && fd.kind() != Hidden {
				continue
			}
		}
		s.Fields = append(s.Fields, Field{Var: fd.Var, Type: fd.Type, Values: slices.Clone(vals)})
	}
	return s, nil
}

// MissingError is the error of Answer.Submit when required fields have no
// answer. It matches ErrMissing.
type MissingError struct {
	Vars []string // the required fields without an answer, in form order
}

// Error names the fields.
func (e *MissingError) Error() string {
	return ErrMissing.Error() + ": " + strings.Join(e.Vars, ", ")
}

// Unwrap returns ErrMissing.
func (e *MissingError) Unwrap() error { return ErrMissing }

// check validates values for the field fd and returns them as they are to
// be stored.
func check(fd *Field, values []string) ([]string, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: field %q (%s): %s", ErrInvalidValue, fd.Var, fd.kind(), fmt.Sprintf(format, args...))
	}
	k := fd.kind()
	switch k {
	case Fixed, Hidden:
		return nil, fmt.Errorf("%w: field %q is %s", ErrReadOnly, fd.Var, k)
	case Boolean, JIDSingle, ListSingle, TextSingle, TextPrivate:
		if len(values) > 1 {
			return nil, invalid("%d values for a single-value field", len(values))
		}
	}
	out := make([]string, 0, len(values))
	for _, s := range values {
		switch k {
		case Boolean:
			if _, err := parseBool(fd.Var, s); err != nil {
				return nil, err
			}
		case JIDSingle, JIDMulti:
			j, err := parseJID(fd.Var, s)
			if err != nil {
				return nil, err
			}
			s = j.String()
		case ListSingle, ListMulti:
			if !fd.open() && !slices.ContainsFunc(fd.Options, func(o Option) bool { return o.Value == s }) {
				return nil, invalid("%q is not one of its options", s)
			}
		case TextSingle, TextPrivate:
			if strings.ContainsAny(s, "\r\n") {
				return nil, invalid("a line break in a single-line field")
			}
		case TextMulti:
			out = append(out, splitLines(s)...)
			continue
		}
		if (k == JIDMulti || k == ListMulti) && slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// splitLines splits s at "\r\n", "\n" and "\r".
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}
