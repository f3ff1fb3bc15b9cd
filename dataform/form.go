package dataform

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the data forms namespace (XEP-0004).
const NS = "jabber:x:data"

// FormTypeVar is the var of the hidden field that names a form's kind
// (XEP-0068), such as "http://jabber.org/protocol/muc#roomconfig".
const FormTypeVar = "FORM_TYPE"

// Errors of this package. Each error returned wraps one of them.
var (
	// ErrMalformed: the element given to UnmarshalNode is not a data form.
	ErrMalformed = errors.New("dataform: malformed form")
	// ErrNotForm: Answer was called on a form whose type is not "form".
	ErrNotForm = errors.New("dataform: not a form to fill in")
	// ErrUnknownField: the form has no field with that var.
	ErrUnknownField = errors.New("dataform: no such field")
	// ErrReadOnly: the field is fixed or hidden, so an answer does not set it.
	ErrReadOnly = errors.New("dataform: field cannot be set")
	// ErrInvalidValue: a value does not fit the field's type or options.
	ErrInvalidValue = errors.New("dataform: invalid value")
	// ErrMissing: required fields have no value (see MissingError).
	ErrMissing = errors.New("dataform: required fields have no value")
)

// Type is the type of a form (XEP-0004 section 3.1).
type Type string

// The form types.
const (
	TypeForm   Type = "form"   // asks the receiver to fill in the form
	TypeSubmit Type = "submit" // the answer to a form
	TypeCancel Type = "cancel" // the answerer gave up
	TypeResult Type = "result" // data, e.g. search results or extended disco info
)

// FieldType is the type of a field (XEP-0004 section 3.3).
type FieldType string

// The field types. A field whose type is empty (absent) or unknown is
// treated as TextSingle, as XEP-0004 says.
const (
	Boolean     FieldType = "boolean"
	Fixed       FieldType = "fixed"
	Hidden      FieldType = "hidden"
	JIDMulti    FieldType = "jid-multi"
	JIDSingle   FieldType = "jid-single"
	ListMulti   FieldType = "list-multi"
	ListSingle  FieldType = "list-single"
	TextMulti   FieldType = "text-multi"
	TextPrivate FieldType = "text-private"
	TextSingle  FieldType = "text-single"
)

// Form is a data form, <x xmlns='jabber:x:data'/> (Smack's DataForm and
// Form): a form to fill in, an answer, a cancellation, or a result. A
// result may carry a table: Reported is its header (the columns) and
// Items its rows. Extra holds child elements of other namespaces (such as
// XEP-0122 validation or XEP-0221 media on fields, kept on Field.Extra),
// so that a form read and written again loses nothing this package does
// not model.
//
// Form is a plain value: copy it with Clone to keep it apart from the
// original. The zero Form has no type and no fields.
type Form struct {
	// Type is the form's type attribute, as received; "" when absent.
	Type Type
	// Title is the text of the form's <title/>; "" when it has none.
	Title string
	// Instructions are the texts of the <instructions/> elements, one
	// string each; XEP-0004 puts one line in each.
	Instructions []string
	// Fields are the form's fields, in order.
	Fields []Field
	// Reported are the columns of a result table (<reported/>).
	Reported []Field
	// Items are the rows of a result table (<item/>).
	Items []Item
	// Extra are the children of other namespaces, in order.
	Extra []stanza.Node
}

// Item is one row of a result table: a field for each reported column.
type Item struct {
	// Fields are the row's cells, each named by the Var of its column.
	Fields []Field
}

// Field is one field of a form (Smack's FormField). Var names it (a fixed
// field may have none); Type is as received, "" when absent. Values are
// the default values in a form, the answer in a submitted form, the data
// in a result. Options are the choices of a list field. The zero Field is
// an unnamed text-single field.
type Field struct {
	// Var is the var attribute, the name an answer refers to the field by.
	Var string
	// Type is the type attribute, as received; "" when absent.
	Type FieldType
	// Label is the label attribute, the field's name to show to a user.
	Label string
	// Desc is the text of <desc/>, a longer explanation to show as help.
	Desc string
	// Required is set by <required/>: a submitted form must give the
	// field a value (see Answer.Missing).
	Required bool
	// Values are the texts of the <value/> elements, in order.
	Values []string
	// Options are the choices of a list field, in order.
	Options []Option
	// Extra are the children of other namespaces, in order.
	Extra []stanza.Node
}

// Option is one choice of a list-single or list-multi field: the Value
// that goes into the answer and a Label to show.
type Option struct {
	// Label is the option's label attribute; "" when absent.
	Label string
	// Value is the text of the option's <value/>.
	Value string
}

// New returns a form of the given type whose first field is a hidden
// FORM_TYPE with the value formType (XEP-0068), followed by fields; with
// an empty formType there is no such field.
func New(typ Type, formType string, fields ...Field) Form {
	f := Form{Type: typ}
	if formType != "" {
		f.Fields = make([]Field, 0, 1+len(fields))
		f.Fields = append(f.Fields, Field{Var: FormTypeVar, Type: Hidden, Values: []string{formType}})
	}
	f.Fields = append(f.Fields, fields...)
	return f
}

// Cancel returns a form of type cancel, the reply that declines to fill in
// a form (Smack's DataForm.Type.cancel).
func Cancel() Form { return Form{Type: TypeCancel} }

// FormType returns the value of the form's FORM_TYPE field (XEP-0068), or
// "" when it has none. The field counts only when it is of type hidden and
// has a value: XEP-0068 and XEP-0115 ignore any other FORM_TYPE.
func (f *Form) FormType() string {
	fd := f.Field(FormTypeVar)
	if fd == nil || fd.Type != Hidden || len(fd.Values) == 0 {
		return ""
	}
	return fd.Values[0]
}

// Field returns the first field with the given var, or nil.
func (f *Form) Field(v string) *Field {
	for i := range f.Fields {
		if f.Fields[i].Var == v {
			return &f.Fields[i]
		}
	}
	return nil
}

// Value returns the first value of the field v, or "" when the field is
// absent or has no value.
func (f *Form) Value(v string) string {
	if fd := f.Field(v); fd != nil {
		return fd.Value()
	}
	return ""
}

// Values returns the values of the field v (nil when it is absent). The
// caller must not modify them.
func (f *Form) Values(v string) []string {
	if fd := f.Field(v); fd != nil {
		return fd.Values
	}
	return nil
}

// Bool returns the value of the field v read as a boolean (see
// Field.Bool); an absent field is an error matching ErrUnknownField.
func (f *Form) Bool(v string) (bool, error) {
	fd := f.Field(v)
	if fd == nil {
		return false, fmt.Errorf("%w: %q", ErrUnknownField, v)
	}
	return fd.Bool()
}

// JID returns the value of the field v read as a JID (see Field.JID); an
// absent field is an error matching ErrUnknownField.
func (f *Form) JID(v string) (jid.JID, error) {
	fd := f.Field(v)
	if fd == nil {
		return jid.JID{}, fmt.Errorf("%w: %q", ErrUnknownField, v)
	}
	return fd.JID()
}

// JIDs returns the values of the field v read as JIDs (see Field.JIDs);
// an absent field is an error matching ErrUnknownField.
func (f *Form) JIDs(v string) ([]jid.JID, error) {
	fd := f.Field(v)
	if fd == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownField, v)
	}
	return fd.JIDs()
}

// Clone returns a deep copy of f.
func (f *Form) Clone() Form {
	c := *f
	c.Instructions = slices.Clone(f.Instructions)
	c.Fields = cloneFields(f.Fields)
	c.Reported = cloneFields(f.Reported)
	if f.Items != nil {
		c.Items = make([]Item, len(f.Items))
		for i := range f.Items {
			c.Items[i].Fields = cloneFields(f.Items[i].Fields)
		}
	}
	c.Extra = cloneNodes(f.Extra)
	return c
}

func cloneFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	c := make([]Field, len(fs))
	for i := range fs {
		c[i] = fs[i].Clone()
	}
	return c
}

func cloneNodes(ns []stanza.Node) []stanza.Node {
	if ns == nil {
		return nil
	}
	c := make([]stanza.Node, len(ns))
	for i, n := range ns {
		c[i] = stanza.Node{Name: n.Name, Attrs: slices.Clone(n.Attrs), Text: n.Text, Nodes: cloneNodes(n.Nodes)}
	}
	return c
}

// Clone returns a deep copy of fd.
func (fd *Field) Clone() Field {
	c := *fd
	c.Values = slices.Clone(fd.Values)
	c.Options = slices.Clone(fd.Options)
	c.Extra = cloneNodes(fd.Extra)
	return c
}

// kind is the type the field is treated as: its Type when this package
// knows it, TextSingle otherwise (XEP-0004 section 3.3).
func (fd *Field) kind() FieldType {
	switch fd.Type {
	case Boolean, Fixed, Hidden, JIDMulti, JIDSingle, ListMulti, ListSingle, TextMulti, TextPrivate, TextSingle:
		return fd.Type
	}
	return TextSingle
}

// Value returns the field's first value, or "".
func (fd *Field) Value() string {
	if len(fd.Values) == 0 {
		return ""
	}
	return fd.Values[0]
}

// Bool reads the field's value as a boolean (XEP-0004 section 3.3): "1"
// and "true" are true, "0" and "false" false, and no value at all is the
// default, false. Anything else is an error matching ErrInvalidValue.
func (fd *Field) Bool() (bool, error) {
	if len(fd.Values) == 0 {
		return false, nil
	}
	return parseBool(fd.Var, fd.Values[0])
}

func parseBool(v, s string) (bool, error) {
	switch s {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: field %q: %q is not a boolean", ErrInvalidValue, v, s)
}

// JID reads the field's first value as a JID; it returns the zero JID
// when the field has no value, and an error matching ErrInvalidValue when
// the value is not a valid JID.
func (fd *Field) JID() (jid.JID, error) {
	if len(fd.Values) == 0 {
		return jid.JID{}, nil
	}
	return parseJID(fd.Var, fd.Values[0])
}

// JIDs reads every value of the field as a JID, dropping duplicates (as
// XEP-0004 asks for jid-multi), in order. A value that is not a valid JID
// is an error matching ErrInvalidValue.
func (fd *Field) JIDs() ([]jid.JID, error) {
	var js []jid.JID
	for _, s := range fd.Values {
		j, err := parseJID(fd.Var, s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(js, j) {
			js = append(js, j)
		}
	}
	return js, nil
}

func parseJID(v, s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, fmt.Errorf("%w: field %q: %q is not a JID: %w", ErrInvalidValue, v, s, err)
	}
	return j, nil
}

// OptionLabel returns the label of the option with the given value, the
// value itself when that option has no label, or "" when there is no such
// option.
func (fd *Field) OptionLabel(value string) string {
	for _, o := range fd.Options {
		if o.Value == value {
			if o.Label == "" {
				return o.Value
			}
			return o.Label
		}
	}
	return ""
}

var (
	xName        = xml.Name{Space: NS, Local: "x"}
	validateName = xml.Name{Space: "http://jabber.org/protocol/xdata-validate", Local: "validate"}
)

// open reports whether the field's list accepts values outside its
// options (XEP-0122's <open/>).
func (fd *Field) open() bool {
	for i := range fd.Extra {
		if fd.Extra[i].Name == validateName && fd.Extra[i].Child(validateName.Space, "open") != nil {
			return true
		}
	}
	return false
}
