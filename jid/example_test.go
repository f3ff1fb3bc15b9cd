package jid_test

import (
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/jid"
)

func ExampleParse() {
	j, err := jid.Parse("Juliet@Example.COM/balcony")
	if err != nil {
		panic(err)
	}
	fmt.Println(j)
	fmt.Println(j.Bare())
	fmt.Println(j.Domain())
	fmt.Println(j.Resourcepart())
	// Output:
	// juliet@example.com/balcony
	// juliet@example.com
	// example.com
	// balcony
}

func ExampleParse_error() {
	_, err := jid.Parse("romeo:montague@example.net")
	var e *jid.Error
	fmt.Println(errors.Is(err, jid.ErrInvalid), errors.As(err, &e) && e.Part == jid.PartLocal)
	fmt.Println(err)
	// Output:
	// true true
	// jid: invalid localpart: contains forbidden character ':'
}

func ExampleEscape() {
	local := jid.Escape("d'artagnan@musketeers.lit")
	j, err := jid.New(local, "example.com", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(j)
	fmt.Println(jid.Unescape(j.Localpart()))
	// Output:
	// d\27artagnan\40musketeers.lit@example.com
	// d'artagnan@musketeers.lit
}
