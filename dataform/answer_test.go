package dataform_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
)

// TestBotAnswer fills in the bot configuration form (XEP-0004 section 5)
// and gets exactly the example's submission.
func TestBotAnswer(t *testing.T) {
	form := decode(t, "bot-form")
	a, err := form.Answer()
	require.NoError(t, err)
	require.NoError(t, a.Set("botname", "The Jabber Google Bot"))
	require.NoError(t, a.Set("description", "This bot enables you to send requests to\nGoogle and receive the search results right\r\nin your Jabber client. It' really cool!",
		"It even supports Google News!"))
	require.NoError(t, a.SetBool("public", false))
	require.NoError(t, a.Set("password", "v3r0na"))
	require.NoError(t, a.Set("maxsubs", "50"))
	require.NoError(t, a.SetJID("invitelist", jid.MustParse("juliet@capulet.com"), jid.MustParse("benvolio@montague.net")))
	// features keeps its default, news and search.
	submit, err := a.Submit()
	require.NoError(t, err)
	assert.Equal(t, canon(load(t, "bot-submit")), canon(marshal(t, &submit)))
	assert.Equal(t, "jabber:bot", submit.FormType())
	assert.Equal(t, []string{"news", "search"}, a.Values("features"))
	assert.Equal(t, "Bot Configuration", a.Form().Title)
}

func TestSearchAnswer(t *testing.T) {
	form := decode(t, "search-form")
	a, err := form.Answer()
	require.NoError(t, err)
	_, err = a.Submit()
	var missing *dataform.MissingError
	require.True(t, errors.As(err, &missing), "%v", err)
	assert.Equal(t, []string{"search_request"}, missing.Vars)
	assert.ErrorIs(t, err, dataform.ErrMissing)
	assert.Contains(t, err.Error(), "search_request")
	require.NoError(t, a.Set("search_request", ""))
	assert.Equal(t, []string{"search_request"}, a.Missing(), "an empty value is no answer")
	require.NoError(t, a.Set("search_request", "verona"))
	assert.Empty(t, a.Missing())
	submit, err := a.Submit()
	require.NoError(t, err)
	assert.Equal(t, canon(load(t, "search-submit")), canon(marshal(t, &submit)))
}

// TestAnswerDefaults: without any Set, the submission holds the hidden
// fields and the defaults; a required boolean without a default must be
// answered.
func TestAnswerDefaults(t *testing.T) {
	form := decode(t, "bot-form")
	a, err := form.Answer()
	require.NoError(t, err)
	assert.Equal(t, []string{"public"}, a.Missing())
	require.NoError(t, a.SetBool("public", true))
	submit, err := a.Submit()
	require.NoError(t, err)
	assert.Equal(t, []dataform.Field{
		{Var: "FORM_TYPE", Type: dataform.Hidden, Values: []string{"jabber:bot"}},
		{Var: "public", Type: dataform.Boolean, Values: []string{"1"}},
		{Var: "features", Type: dataform.ListMulti, Values: []string{"news", "search"}},
		{Var: "maxsubs", Type: dataform.ListSingle, Values: []string{"20"}},
	}, submit.Fields)
	assert.Equal(t, dataform.TypeSubmit, submit.Type)

	// Set with no values clears: the field goes with no value.
	require.NoError(t, a.Set("features"))
	submit, err = a.Submit()
	require.NoError(t, err)
	assert.Equal(t, dataform.Field{Var: "features", Type: dataform.ListMulti}, submit.Fields[2])

	// The answer is independent of the form it came from.
	form.Fields[0].Values[0] = "changed"
	submit, err = a.Submit()
	require.NoError(t, err)
	assert.Equal(t, "jabber:bot", submit.FormType())
}

func TestAnswerNotForm(t *testing.T) {
	for _, typ := range []dataform.Type{dataform.TypeResult, dataform.TypeSubmit, dataform.TypeCancel, ""} {
		f := dataform.Form{Type: typ}
		_, err := f.Answer()
		assert.ErrorIs(t, err, dataform.ErrNotForm, "%q", typ)
	}
}

// TestSet checks each field type's rules.
func TestSet(t *testing.T) {
	open := decodeString(t, `<x xmlns='jabber:x:data' type='form'>
  <field var='open' type='list-single'>
    <validate xmlns='http://jabber.org/protocol/xdata-validate'><open/></validate>
    <option><value>a</value></option>
  </field></x>`)
	form := dataform.New(dataform.TypeForm, "urn:test",
		dataform.Field{Var: "bool", Type: dataform.Boolean},
		dataform.Field{Type: dataform.Fixed, Values: []string{"Header"}},
		dataform.Field{Var: "fixed", Type: dataform.Fixed, Values: []string{"x"}},
		dataform.Field{Var: "hidden", Type: dataform.Hidden, Values: []string{"h"}},
		dataform.Field{Var: "jids", Type: dataform.JIDMulti},
		dataform.Field{Var: "jid", Type: dataform.JIDSingle},
		dataform.Field{Var: "multi", Type: dataform.ListMulti, Options: []dataform.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}},
		dataform.Field{Var: "single", Type: dataform.ListSingle, Options: []dataform.Option{{Label: "A", Value: "a"}, {Value: "b"}}},
		dataform.Field{Var: "lines", Type: dataform.TextMulti},
		dataform.Field{Var: "secret", Type: dataform.TextPrivate},
		dataform.Field{Var: "text", Type: dataform.TextSingle},
		dataform.Field{Var: "untyped"},
		dataform.Field{Var: "future", Type: "color-picker"},
		open.Fields[0],
	)
	for _, tc := range []struct {
		name   string
		v      string
		values []string
		want   []string
		err    error
	}{
		{"bool 1", "bool", []string{"1"}, []string{"1"}, nil},
		{"bool true", "bool", []string{"true"}, []string{"true"}, nil},
		{"bool false", "bool", []string{"false"}, []string{"false"}, nil},
		{"bool 0", "bool", []string{"0"}, []string{"0"}, nil},
		{"bool clear", "bool", nil, nil, nil},
		{"bool yes", "bool", []string{"yes"}, nil, dataform.ErrInvalidValue},
		{"bool two", "bool", []string{"1", "0"}, nil, dataform.ErrInvalidValue},
		{"fixed", "fixed", []string{"y"}, nil, dataform.ErrReadOnly},
		{"hidden", "hidden", []string{"y"}, nil, dataform.ErrReadOnly},
		{"FORM_TYPE", "FORM_TYPE", []string{"urn:other"}, nil, dataform.ErrReadOnly},
		{"unknown", "nope", []string{"y"}, nil, dataform.ErrUnknownField},
		{"empty var", "", []string{"y"}, nil, dataform.ErrUnknownField},
		{"jid-multi", "jids", []string{"Juliet@Capulet.com", "juliet@capulet.com", "romeo@montague.net/home"}, []string{"juliet@capulet.com", "romeo@montague.net/home"}, nil},
		{"jid-multi invalid", "jids", []string{"juliet@capulet.com", "@capulet.com"}, nil, dataform.ErrInvalidValue},
		{"jid-single", "jid", []string{"capulet.com"}, []string{"capulet.com"}, nil},
		{"jid-single invalid", "jid", []string{"a@b@c"}, nil, dataform.ErrInvalidValue},
		{"jid-single two", "jid", []string{"a@b", "c@d"}, nil, dataform.ErrInvalidValue},
		{"list-multi", "multi", []string{"c", "a", "c"}, []string{"c", "a"}, nil},
		{"list-multi not an option", "multi", []string{"a", "d"}, nil, dataform.ErrInvalidValue},
		{"list-single", "single", []string{"b"}, []string{"b"}, nil},
		{"list-single label is not a value", "single", []string{"A"}, nil, dataform.ErrInvalidValue},
		{"list-single two", "single", []string{"a", "b"}, nil, dataform.ErrInvalidValue},
		{"list-single open", "open", []string{"z"}, []string{"z"}, nil},
		{"text-multi", "lines", []string{"one\ntwo", "three"}, []string{"one", "two", "three"}, nil},
		{"text-private", "secret", []string{"s3cret"}, []string{"s3cret"}, nil},
		{"text-private newline", "secret", []string{"a\nb"}, nil, dataform.ErrInvalidValue},
		{"text-single", "text", []string{"hello world"}, []string{"hello world"}, nil},
		{"text-single two", "text", []string{"a", "b"}, nil, dataform.ErrInvalidValue},
		{"text-single newline", "text", []string{"a\rb"}, nil, dataform.ErrInvalidValue},
		{"untyped is text-single", "untyped", []string{"x"}, []string{"x"}, nil},
		{"untyped two", "untyped", []string{"x", "y"}, nil, dataform.ErrInvalidValue},
		{"unknown type is text-single", "future", []string{"red"}, []string{"red"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := form.Answer()
			require.NoError(t, err)
			before := a.Values(tc.v)
			err = a.Set(tc.v, tc.values...)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Equal(t, before, a.Values(tc.v), "unchanged")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, a.Values(tc.v))
			s, err := a.Submit()
			require.NoError(t, err)
			require.NotNil(t, s.Field(tc.v))
			assert.Equal(t, tc.want, s.Field(tc.v).Values)
			roundTrip(t, s)
		})
	}
}

func TestSubmitLeavesOutFixed(t *testing.T) {
	form := dataform.New(dataform.TypeForm, "",
		dataform.Field{Var: "fixed", Type: dataform.Fixed, Values: []string{"x"}, Required: true},
		dataform.Field{Var: "hidden", Type: dataform.Hidden, Required: true},
		dataform.Field{Var: "text", Values: []string{"default"}, Label: "Text", Desc: "d"},
	)
	a, err := form.Answer()
	require.NoError(t, err)
	s, err := a.Submit()
	require.NoError(t, err)
	assert.Equal(t, []dataform.Field{{Var: "hidden", Type: dataform.Hidden}, {Var: "text", Values: []string{"default"}}}, s.Fields)
}

func decodeString(t *testing.T, s string) dataform.Form {
	t.Helper()
	n, err := parseXML([]byte(s))
	require.NoError(t, err)
	var f dataform.Form
	require.NoError(t, f.UnmarshalNode(n))
	return f
}
