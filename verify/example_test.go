package verify_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/cognate-dev/cognate/verify"
)

// A resource server: GET /hello for any signed-in user, GET /admin for the
// admins group only. Against Cognate, a sign-out reaches it within a second.
func Example() {
	v, err := verify.New(verify.Config{
		Issuer:    "http://127.0.0.1:9229/us-east-1_LocalDev01",
		ClientIDs: []string{"cognatedemowebclient000001"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello, %s\n", c.Username)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /hello", v.Middleware(hello))
	mux.Handle("GET /admin", v.Middleware(hello, verify.RequireGroups("admins")))
	_ = http.ListenAndServe("127.0.0.1:8080", mux)
}
