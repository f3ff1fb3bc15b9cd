package dataform_test

import (
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/dataform"
)

func ExampleForm_Answer() {
	form := dataform.New(dataform.TypeForm, "http://jabber.org/protocol/muc#roomconfig",
		dataform.Field{Var: "muc#roomconfig_roomname", Type: dataform.TextSingle, Label: "Room name"},
		dataform.Field{Var: "muc#roomconfig_persistentroom", Type: dataform.Boolean, Required: true},
		dataform.Field{Var: "muc#roomconfig_maxusers", Type: dataform.ListSingle, Values: []string{"10"},
			Options: []dataform.Option{{Value: "10"}, {Value: "20"}, {Value: "30"}}},
	)
	a, err := form.Answer()
	if err != nil {
		panic(err)
	}
	_, err = a.Submit()
	fmt.Println(err)
	fmt.Println(errors.Is(a.Set("muc#roomconfig_maxusers", "25"), dataform.ErrInvalidValue))

	_ = a.Set("muc#roomconfig_roomname", "Balcony")
	_ = a.SetBool("muc#roomconfig_persistentroom", true)
	_ = a.Set("muc#roomconfig_maxusers", "20")
	submit, err := a.Submit()
	if err != nil {
		panic(err)
	}
	for _, f := range submit.Fields {
		fmt.Println(f.Var, f.Values)
	}
	// Output:
	// dataform: required fields have no value: muc#roomconfig_persistentroom
	// true
	// FORM_TYPE [http://jabber.org/protocol/muc#roomconfig]
	// muc#roomconfig_roomname [Balcony]
	// muc#roomconfig_persistentroom [1]
	// muc#roomconfig_maxusers [20]
}

func ExampleField_Bool() {
	for _, v := range []string{"1", "true", "0", "false", "yes"} {
		fd := dataform.Field{Var: "public", Type: dataform.Boolean, Values: []string{v}}
		b, err := fd.Bool()
		fmt.Println(v, b, err != nil)
	}
	// Output:
	// 1 true false
	// true true false
	// 0 false false
	// false false false
	// yes false true
}
