package verify

import "testing"

func TestRevStateApply(t *testing.T) {
	s := newRevState(0)
	for _, e := range []event{
		{Seq: 1, Kind: "family", ID: "f1", Reason: "revoked"},
		{Seq: 2, Kind: "family", ID: "f1", Reason: "refresh-reuse"}, // the first reason stays
		{Seq: 3, Kind: "user", ID: "u1", Gen: 2, Reason: "signed-out"},
		{Seq: 4, Kind: "user", ID: "u1", Gen: 1, Reason: "password-reset"}, // generations never go back
		{Seq: 5, Kind: "user", ID: "u2", Deleted: true, Reason: "user-deleted"},
		{Seq: 6, Kind: "client", ID: "c1", Reason: "client-deleted"},
		{Seq: 7, Kind: "something-new", ID: "x"},
	} {
		s.apply(e)
	}
	if s.seq != 7 || s.families["f1"] != "revoked" || s.users["u1"].gen != 2 || !s.users["u2"].deleted ||
		s.clients["c1"] != "client-deleted" {
		t.Fatalf("state = %+v", s)
	}
}
