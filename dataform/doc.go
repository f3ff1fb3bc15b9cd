// Package dataform is data forms (XEP-0004): the <x xmlns='jabber:x:data'/>
// element that other protocols carry to ask for data, send it back, or
// report it: MUC room configuration (XEP-0045), in-band registration
// (XEP-0077), search (XEP-0055), ad-hoc commands (XEP-0050), extended
// service discovery (XEP-0128, used by package disco).
//
// Reading a form and answering it:
//
//	var form dataform.Form
//	if ok, err := stanza.FindExtension(query.Nodes, &form); !ok || err != nil { ... }
//	a, err := form.Answer() // starts from the form's defaults
//	if err != nil { ... }   // not a form of type "form"
//	if err := a.Set("muc#roomconfig_roomname", "Balcony"); err != nil { ... }
//	if err := a.SetBool("muc#roomconfig_persistentroom", true); err != nil { ... }
//	if err := a.Set("muc#roomconfig_maxusers", "20"); err != nil { ... } // must be an option
//	submit, err := a.Submit() // *MissingError when required fields are unanswered
//	if err != nil { ... }
//	nodes, err := stanza.AppendExtension(nil, &submit)
//
// To decline, send dataform.Cancel() instead. To read a result, use the
// accessors: Form.Value, Values, Bool, JID, JIDs (and the same on Field),
// or Reported and Items for a table.
//
// # Design
//
// A Form is a plain value: its type, title, instructions, fields, and for
// a result table the reported header and the items. Fields keep their
// type as received (an absent or unknown type is treated as text-single,
// as XEP-0004 says), their label, desc, required flag, values and
// options. Decoding is lenient, since forms come from peers: only an
// element that is not a data form is an error; elements of other
// namespaces (XEP-0122 validation, XEP-0221 media...) are kept in Extra,
// on the form or the field, and written back, so a form decoded and
// encoded again loses nothing. Encoding writes the children in XEP-0004's
// order (title, instructions, fields, reported, items; in a field desc,
// required, values, options).
//
// An Answer (Smack's FillableForm) checks each value when it is Set, so
// the error comes where the mistake is, not from the server later: a
// boolean must be "1", "true", "0" or "false"; a JID must be valid (and is
// stored canonically); a list value must be one of the options unless the
// field is XEP-0122 <open/>; a single-value field takes one line; a
// text-multi value is split into lines; fixed and hidden fields cannot be
// set, and a var the form lacks is an error. Submit sends the hidden
// fields as received (FORM_TYPE among them), every field that was Set,
// and the defaults of the others, and refuses to build a submission while
// a required field has no answer, naming them all in a *MissingError.
// What the server accepts remains its decision (XEP-0004 section 4).
//
// Forms and answers are not safe for concurrent modification; a Form that
// no goroutine modifies may be read from many.
//
// # Smack
//
//	Smack                                  gosmack
//	DataForm                               Form (Type, Title, Instructions, Fields, Reported, Items)
//	DataForm.Type                          Type (TypeForm, TypeSubmit, TypeCancel, TypeResult)
//	FormField, FormField.Type              Field, FieldType (Boolean, Fixed, Hidden, JIDMulti...)
//	FormField.Option                       Option
//	DataForm.ReportedData, Item            Form.Reported, Form.Items, Item
//	DataForm.getFormType / FORM_TYPE       Form.FormType, FormTypeVar, New(typ, formType, ...)
//	Form.createAnswerForm, FillableForm    Form.Answer, Answer
//	FillableForm.setAnswer                 Answer.Set, SetBool, SetJID
//	FillableForm.getSubmitForm             Answer.Submit (MissingError for required fields)
//	BooleanFormField.getValueAsBoolean     Field.Bool, Form.Bool
//	JidSingleFormField, JidMultiFormField  Field.JID, Field.JIDs
//	DataFormProvider                       Form.UnmarshalNode (stanza.FindExtension)
package dataform
