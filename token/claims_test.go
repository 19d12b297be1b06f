package token

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestClaimsMarshalOmitsEmpty(t *testing.T) {
	b, err := json.Marshal(Claims{Sub: "s", TokenUse: UseAccess, ExpiresAt: 5, Groups: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"sub":"s","token_use":"access","exp":5}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	b, _ = json.Marshal(&Claims{})
	if string(b) != "{}" {
		t.Errorf("zero claims: %s", b)
	}
}

func TestClaimsMarshalExtra(t *testing.T) {
	c := Claims{
		Sub: "s",
		Extra: map[string]any{
			"email_verified": true,
			"custom:n":       "12",
			"zz":             nil,
			"list":           []any{"a", 1.5},
			"sub":            "override",
			"aud":            "override",
			"cognito:groups": []string{"override"},
			"int":            7,
		},
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sub":"s","custom:n":"12","email_verified":true,"int":7,"list":["a",1.5],"zz":null}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestClaimsUnmarshal(t *testing.T) {
	in := `{"sub":"s","aud":["client"],"exp":1.7e9,"iat":1700000000,"version":2,
		"cognito:groups":["a","b"],"email_verified":false,"custom:x":"y","EXP":"upper",
		"nested":{"k":[1,2]},"origin_jti":null,"username":"al\u0069ce\n"}`
	var c Claims
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := Claims{
		Sub: "s", Aud: "client", ExpiresAt: 1_700_000_000, IssuedAt: 1_700_000_000, Version: 2,
		Groups: []string{"a", "b"}, Username: "alice\n",
		Extra: map[string]any{
			"email_verified": false, "custom:x": "y", "EXP": "upper",
			"nested": map[string]any{"k": []any{1.0, 2.0}},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}

	// Unmarshal resets the receiver.
	if err := json.Unmarshal([]byte(`{"aud":"x"}`), &c); err != nil || c.Sub != "" || c.Extra != nil || c.Aud != "x" {
		t.Errorf("reuse: %+v %v", c, err)
	}
	for _, aud := range []string{`[]`, `null`} {
		if err := json.Unmarshal([]byte(`{"aud":`+aud+`}`), &c); err != nil || c.Aud != "" {
			t.Errorf("aud %s: %+v %v", aud, c, err)
		}
	}
}

func TestClaimsUnmarshalRejects(t *testing.T) {
	for _, in := range []string{
		``, `null`, `[]`, `"s"`, `1`, `{`, `{"sub":1}`, `{"sub":{}}`, `{"exp":"1"}`, `{"exp":1.5}`,
		`{"exp":1e300}`, `{"exp":true}`, `{"iat":99999999999999999999}`, `{"version":4294967296}`,
		`{"aud":["a","b"]}`, `{"aud":[1]}`, `{"aud":5}`, `{"cognito:groups":"admins"}`,
		`{"cognito:groups":[1]}`, `{"x":1e400}`, `{"sub":"s"} trailing`, `{"token_use":["access"]}`,
	} {
		var c Claims
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("%s: accepted as %+v", in, c)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quo"te`, `back\slash`, "nl\ncr\rtab\t", "\x00\x01\x1f\x7f", "<>&",
		"\u2028\u2029", "ünïcødé 🎉", "bad\xffutf8", "\xed\xa0\x80", "trunc\xe2\x82",
	} {
		enc := appendJSONString(nil, s)
		if !json.Valid(enc) {
			t.Errorf("%q: invalid JSON %s", s, enc)
			continue
		}
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatal(err)
		}
		// encoding/json's own round trip is the reference.
		ref, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Errorf("%q: decodes to %q, encoding/json gives %q", s, got, want)
		}
		if strings.ContainsAny(string(enc), "\n\r\u2028") {
			t.Errorf("%q: raw line terminator in %s", s, enc)
		}
	}
}

// TestClaimsRoundTripStable: decoding what we encoded gives the same claims.
func TestClaimsRoundTripStable(t *testing.T) {
	for _, c := range []*Claims{accessClaims(), idClaims(), {}, {Aud: "a", DeviceKey: "us-east-1_dk", Version: -3}} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var got Claims
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, c) {
			t.Errorf("got  %+v\nwant %+v", got, *c)
		}
	}
}
