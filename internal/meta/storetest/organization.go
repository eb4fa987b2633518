package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var organizationTests = []test{
	{"AccountEmail", testAccountEmail},
	{"ListAccounts", testListAccounts},
	{"CreateAccountStatus", testCreateAccountStatus},
	{"ListCreateAccountStatus", testListCreateAccountStatus},
}

// wantAccountWithEmail compares every field of an account, its email too.
func wantAccountWithEmail(t *testing.T, what string, got, want meta.Account) {
	t.Helper()
	wantAccount(t, what, got, want)
	if got.Email != want.Email {
		t.Errorf("%s.Email = %q, want %q", what, got.Email, want.Email)
	}
}

func accountIDs(as []meta.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func testAccountEmail(t *testing.T, s meta.Store) {
	a := mustAccount(t, s, meta.Account{ID: registryID, Name: "a", Email: "root@a.example.com", Default: true, CreatedAt: base})
	b := mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", Email: "root@b.example.com", CreatedAt: base})
	// Any number of accounts without an email.
	c := mustAccount(t, s, meta.Account{ID: "000000000001", Name: "c", CreatedAt: base})
	d := mustAccount(t, s, meta.Account{ID: "000000000002", Name: "d", CreatedAt: base})
	for _, want := range []meta.Account{a, b, c, d} {
		got, err := s.GetAccount(ctx(t), want.ID)
		wantNoErr(t, "GetAccount("+want.ID+")", err)
		wantAccountWithEmail(t, "GetAccount("+want.ID+")", got, want)
	}
	got, err := s.DefaultAccount(ctx(t))
	wantNoErr(t, "DefaultAccount", err)
	wantAccountWithEmail(t, "DefaultAccount", got, a)

	err = s.CreateAccount(ctx(t), meta.Account{ID: "000000000003", Name: "dup", Email: "root@b.example.com", CreatedAt: base})
	wantErrIs(t, "CreateAccount with another account's email", err, meta.ErrConflict)
	_, err = s.GetAccount(ctx(t), "000000000003")
	wantErrIs(t, "GetAccount of the refused account", err, meta.ErrNotFound)
	all, err := s.ListAccounts(ctx(t), "", 100)
	wantNoErr(t, "ListAccounts", err)
	wantStrings(t, "ListAccounts after a refused duplicate email", accountIDs(all),
		[]string{"000000000001", "000000000002", registryID, otherRegistry})
}

func testListAccounts(t *testing.T, s meta.Store) {
	got, err := s.ListAccounts(ctx(t), "", 10)
	wantNoErr(t, "ListAccounts of none", err)
	wantStrings(t, "ListAccounts of none", accountIDs(got), nil)
	var want []string
	accounts := map[string]meta.Account{}
	for i := range 7 {
		id := fmt.Sprintf("%012d", (i*7919)%10007)
		a := mustAccount(t, s, meta.Account{ID: id, Name: "acct " + itoa(i), Email: "root" + itoa(i) + "@example.com",
			RegistryHost: "r" + itoa(i) + ".example.com", Default: i == 3, CreatedAt: base.Add(time.Duration(i) * time.Hour)})
		accounts[id] = a
		want = append(want, id)
	}
	want = sorted(want)
	got, err = s.ListAccounts(ctx(t), "", 100)
	wantNoErr(t, "ListAccounts", err)
	wantStrings(t, "ListAccounts", accountIDs(got), want)
	for _, a := range got {
		wantAccountWithEmail(t, "ListAccounts: "+a.ID, a, accounts[a.ID])
	}
	for _, limit := range []int{1, 3, 7} {
		ids := namesPaged(t, "ListAccounts", limit, func(after string) ([]string, error) {
			as, err := s.ListAccounts(ctx(t), after, limit)
			return accountIDs(as), err
		})
		wantStrings(t, "ListAccounts in pages of "+itoa(limit), ids, want)
	}
	got, err = s.ListAccounts(ctx(t), want[2], 2)
	wantNoErr(t, "ListAccounts after the third", err)
	wantStrings(t, "ListAccounts after the third, 2", accountIDs(got), want[3:5])
}

// wantCreateAccountStatus compares every field of a CreateAccount status.
func wantCreateAccountStatus(t *testing.T, what string, got, want meta.CreateAccountStatus) {
	t.Helper()
	if got.ID != want.ID || got.AccountName != want.AccountName || got.Email != want.Email ||
		got.AccountID != want.AccountID || got.State != want.State || got.FailureReason != want.FailureReason {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".RequestedAt", got.RequestedAt, want.RequestedAt)
	if want.CompletedAt.IsZero() {
		if !got.CompletedAt.IsZero() {
			t.Errorf("%s.CompletedAt = %v, want the zero time", what, got.CompletedAt)
		}
	} else {
		wantTime(t, what+".CompletedAt", got.CompletedAt, want.CompletedAt)
	}
}

func carID(n int) string { return fmt.Sprintf("car-%032x", n) }

func testCreateAccountStatus(t *testing.T, s meta.Store) {
	_, err := s.GetCreateAccountStatus(ctx(t), carID(1))
	wantErrIs(t, "GetCreateAccountStatus of none", err, meta.ErrNotFound)
	st := meta.CreateAccountStatus{ID: carID(1), AccountName: "dev", Email: "dev@example.com", State: "IN_PROGRESS",
		RequestedAt: base.Add(1500 * time.Microsecond)}
	wantNoErr(t, "PutCreateAccountStatus", s.PutCreateAccountStatus(ctx(t), st))
	got, err := s.GetCreateAccountStatus(ctx(t), st.ID)
	wantNoErr(t, "GetCreateAccountStatus", err)
	wantCreateAccountStatus(t, "GetCreateAccountStatus in progress", got, st)

	st.State, st.AccountID, st.CompletedAt = "SUCCEEDED", "000000000042", base.Add(time.Minute)
	wantNoErr(t, "PutCreateAccountStatus replacing", s.PutCreateAccountStatus(ctx(t), st))
	got, err = s.GetCreateAccountStatus(ctx(t), st.ID)
	wantNoErr(t, "GetCreateAccountStatus", err)
	wantCreateAccountStatus(t, "GetCreateAccountStatus succeeded", got, st)

	failed := meta.CreateAccountStatus{ID: carID(2), AccountName: "dup", Email: "dev@example.com", State: "FAILED",
		FailureReason: "EMAIL_ALREADY_EXISTS", RequestedAt: base, CompletedAt: base.Add(time.Second)}
	wantNoErr(t, "PutCreateAccountStatus(failed)", s.PutCreateAccountStatus(ctx(t), failed))
	got, err = s.GetCreateAccountStatus(ctx(t), failed.ID)
	wantNoErr(t, "GetCreateAccountStatus(failed)", err)
	wantCreateAccountStatus(t, "GetCreateAccountStatus(failed)", got, failed)
	got, err = s.GetCreateAccountStatus(ctx(t), st.ID)
	wantNoErr(t, "GetCreateAccountStatus", err)
	wantCreateAccountStatus(t, "GetCreateAccountStatus of the first after another", got, st)
	_, err = s.GetCreateAccountStatus(ctx(t), carID(3))
	wantErrIs(t, "GetCreateAccountStatus of an unknown id", err, meta.ErrNotFound)
}

func statusIDs(ss []meta.CreateAccountStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func testListCreateAccountStatus(t *testing.T, s meta.Store) {
	got, err := s.ListCreateAccountStatus(ctx(t), nil, "", 10)
	wantNoErr(t, "ListCreateAccountStatus of none", err)
	wantStrings(t, "ListCreateAccountStatus of none", statusIDs(got), nil)

	// Requested at: 1 < 2 = 3 = 4 < 5 < 6; the ids of one instant are not in time order.
	for _, c := range []struct {
		n     int
		at    time.Duration
		state string
	}{
		{1, 0, "SUCCEEDED"}, {4, time.Minute, "FAILED"}, {2, time.Minute, "IN_PROGRESS"}, {3, time.Minute, "SUCCEEDED"},
		{5, 2 * time.Minute, "IN_PROGRESS"}, {6, 3 * time.Minute, "SUCCEEDED"},
	} {
		st := meta.CreateAccountStatus{ID: carID(c.n), AccountName: "a" + itoa(c.n), Email: "a" + itoa(c.n) + "@example.com",
			State: c.state, RequestedAt: base.Add(c.at)}
		if c.state != "IN_PROGRESS" {
			st.CompletedAt = st.RequestedAt.Add(time.Second)
		}
		wantNoErr(t, "PutCreateAccountStatus", s.PutCreateAccountStatus(ctx(t), st))
	}
	// Newest first; within an instant, by id descending.
	newestFirst := []string{carID(6), carID(5), carID(4), carID(3), carID(2), carID(1)}
	for _, c := range []struct {
		states []string
		want   []string
	}{
		{nil, newestFirst},
		{[]string{}, newestFirst},
		{[]string{"SUCCEEDED"}, []string{carID(6), carID(3), carID(1)}},
		{[]string{"IN_PROGRESS", "FAILED"}, []string{carID(5), carID(4), carID(2)}},
		{[]string{"FAILED", "FAILED"}, []string{carID(4)}},
		{[]string{"NONE"}, nil},
	} {
		what := fmt.Sprintf("ListCreateAccountStatus(%q)", c.states)
		got, err := s.ListCreateAccountStatus(ctx(t), c.states, "", 100)
		wantNoErr(t, what, err)
		wantStrings(t, what, statusIDs(got), c.want)
		for _, limit := range []int{1, 2, 4} {
			ids := namesPaged(t, what, limit, func(after string) ([]string, error) {
				ss, err := s.ListCreateAccountStatus(ctx(t), c.states, after, limit)
				return statusIDs(ss), err
			})
			wantStrings(t, what+" in pages of "+itoa(limit), ids, c.want)
		}
	}
	got, err = s.ListCreateAccountStatus(ctx(t), nil, carID(3), 2)
	wantNoErr(t, "ListCreateAccountStatus after 3", err)
	wantStrings(t, "ListCreateAccountStatus after 3, 2", statusIDs(got), []string{carID(2), carID(1)})
	got, err = s.ListCreateAccountStatus(ctx(t), nil, carID(99), 100)
	wantNoErr(t, "ListCreateAccountStatus after an unknown id", err)
	wantStrings(t, "ListCreateAccountStatus after an unknown id", statusIDs(got), nil)
	// after need not be in the states listed.
	got, err = s.ListCreateAccountStatus(ctx(t), []string{"SUCCEEDED"}, carID(5), 100)
	wantNoErr(t, "ListCreateAccountStatus(SUCCEEDED) after 5", err)
	wantStrings(t, "ListCreateAccountStatus(SUCCEEDED) after 5", statusIDs(got), []string{carID(3), carID(1)})
	if len(got) == 2 {
		wantCreateAccountStatus(t, "ListCreateAccountStatus(SUCCEEDED) after 5 [0]", got[0], meta.CreateAccountStatus{
			ID: carID(3), AccountName: "a3", Email: "a3@example.com", State: "SUCCEEDED",
			RequestedAt: base.Add(time.Minute), CompletedAt: base.Add(time.Minute + time.Second)})
	}
}
