package userpool

import (
	"slices"
	"strings"
	"unicode/utf8"
)

var standardAttributes = []string{
	"address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
	"middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
	"preferred_username", "profile", "updated_at", "website", "zoneinfo",
}

// checkAttributes validates attribute names and values given by a caller.
func checkAttributes(attrs []Attribute) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for _, a := range attrs {
		switch {
		case a.Name == "sub":
			return nil, invalidf("Cannot modify the non-mutable attribute sub")
		case strings.HasPrefix(a.Name, "custom:"):
			if len(a.Name) > 32+len("custom:") || len(a.Name) == len("custom:") {
				return nil, invalidf("Attribute name %q is invalid", a.Name)
			}
		case !slices.Contains(standardAttributes, a.Name):
			return nil, invalidf("Attributes did not conform to the schema: %s: Attribute does not exist in the schema.", a.Name)
		}
		if len(a.Value) > 2048 || !utf8.ValidString(a.Value) {
			return nil, invalidf("Attribute value for %s is too long or not valid UTF-8", a.Name)
		}
		if strings.HasSuffix(a.Name, "_verified") && a.Value != "true" && a.Value != "false" {
			return nil, invalidf("Attribute %s must be true or false", a.Name)
		}
		if a.Name == "email" && (!strings.Contains(a.Value, "@") || strings.ContainsAny(a.Value, " \t\r\n")) {
			return nil, invalidf("Invalid email address format.")
		}
		out[a.Name] = a.Value
	}
	return out, nil
}
