package vcard

// Advertised exposes advertised to the fuzz target.
var Advertised = advertised
