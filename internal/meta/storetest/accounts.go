package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var accountTests = []test{
	{"CreateAndGetAccount", testCreateAndGetAccount},
	{"CreateAccountDuplicateID", testCreateAccountDuplicateID},
	{"CreateAccountSecondDefault", testCreateAccountSecondDefault},
	{"DefaultAccount", testDefaultAccount},
	{"AccountByHost", testAccountByHost},
	{"SetRegistryHost", testSetRegistryHost},
	{"AccountSettings", testAccountSettings},
}

var accessKeyTests = []test{
	{"CreateAndGetAccessKey", testCreateAndGetAccessKey},
	{"CreateAccessKeyDuplicateID", testCreateAccessKeyDuplicateID},
	{"GetAccessKeyNotFound", testGetAccessKeyNotFound},
}

func mustAccount(t *testing.T, s meta.Store, a meta.Account) meta.Account {
	t.Helper()
	if err := s.CreateAccount(ctx(t), a); err != nil {
		t.Fatalf("CreateAccount(%s): %v", a.ID, err)
	}
	return a
}

// wantAccount compares every field of an account.
func wantAccount(t *testing.T, what string, got, want meta.Account) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.RegistryHost != want.RegistryHost || got.Default != want.Default {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testCreateAndGetAccount(t *testing.T, s meta.Store) {
	accounts := []meta.Account{
		{ID: registryID, Name: "main", RegistryHost: "registry.example.com", Default: true, CreatedAt: base},
		{ID: otherRegistry, Name: "other ünïcødé", CreatedAt: base.Add(1500 * time.Microsecond)},
		{ID: "000000000001", Name: "", RegistryHost: "localhost:5000", CreatedAt: base.Add(time.Hour)},
	}
	for _, a := range accounts {
		mustAccount(t, s, a)
	}
	for _, want := range accounts {
		got, err := s.GetAccount(ctx(t), want.ID)
		wantNoErr(t, "GetAccount("+want.ID+")", err)
		wantAccount(t, "GetAccount("+want.ID+")", got, want)
	}
	for _, id := range []string{"", "999999999999", "12345678901", registryID + " "} {
		_, err := s.GetAccount(ctx(t), id)
		wantErrIs(t, "GetAccount("+id+")", err, meta.ErrNotFound)
	}
}

func testCreateAccountDuplicateID(t *testing.T, s meta.Store) {
	first := mustAccount(t, s, meta.Account{ID: registryID, Name: "first", CreatedAt: base})
	err := s.CreateAccount(ctx(t), meta.Account{ID: registryID, Name: "second", RegistryHost: "h.example.com",
		CreatedAt: base.Add(time.Hour)})
	wantErrIs(t, "CreateAccount of an existing id", err, meta.ErrConflict)
	got, err := s.GetAccount(ctx(t), registryID)
	wantNoErr(t, "GetAccount", err)
	wantAccount(t, "GetAccount after a refused duplicate", got, first)
	_, err = s.AccountByHost(ctx(t), "h.example.com")
	wantErrIs(t, "AccountByHost of the refused duplicate's host", err, meta.ErrNotFound)
}

func testCreateAccountSecondDefault(t *testing.T, s meta.Store) {
	first := mustAccount(t, s, meta.Account{ID: registryID, Name: "first", Default: true, CreatedAt: base})
	err := s.CreateAccount(ctx(t), meta.Account{ID: otherRegistry, Name: "second", Default: true, CreatedAt: base})
	wantErrIs(t, "CreateAccount of a second default account", err, meta.ErrConflict)
	_, err = s.GetAccount(ctx(t), otherRegistry)
	wantErrIs(t, "GetAccount of the refused second default", err, meta.ErrNotFound)
	got, err := s.DefaultAccount(ctx(t))
	wantNoErr(t, "DefaultAccount", err)
	wantAccount(t, "DefaultAccount after a refused second default", got, first)
	// Any number of accounts that are not the default.
	mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "second", CreatedAt: base})
	mustAccount(t, s, meta.Account{ID: "000000000001", Name: "third", CreatedAt: base})
}

func testDefaultAccount(t *testing.T, s meta.Store) {
	_, err := s.DefaultAccount(ctx(t))
	wantErrIs(t, "DefaultAccount of an empty store", err, meta.ErrNotFound)
	mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "not default", CreatedAt: base})
	_, err = s.DefaultAccount(ctx(t))
	wantErrIs(t, "DefaultAccount with only a non-default account", err, meta.ErrNotFound)
	want := mustAccount(t, s, meta.Account{ID: registryID, Name: "default", Default: true, CreatedAt: base})
	got, err := s.DefaultAccount(ctx(t))
	wantNoErr(t, "DefaultAccount", err)
	wantAccount(t, "DefaultAccount", got, want)
}

func testAccountByHost(t *testing.T, s meta.Store) {
	_, err := s.AccountByHost(ctx(t), "")
	wantErrIs(t, "AccountByHost(\"\") of an empty store", err, meta.ErrNotFound)
	a := mustAccount(t, s, meta.Account{ID: registryID, Name: "a", RegistryHost: "a.example.com", CreatedAt: base})
	b := mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", RegistryHost: "b.example.com:8443", CreatedAt: base})
	// Accounts without a host, default or not.
	mustAccount(t, s, meta.Account{ID: "000000000001", Name: "no host", Default: true, CreatedAt: base})
	mustAccount(t, s, meta.Account{ID: "000000000002", Name: "no host either", CreatedAt: base})

	for _, want := range []meta.Account{a, b} {
		got, err := s.AccountByHost(ctx(t), want.RegistryHost)
		wantNoErr(t, "AccountByHost("+want.RegistryHost+")", err)
		wantAccount(t, "AccountByHost("+want.RegistryHost+")", got, want)
	}
	for _, host := range []string{"", "c.example.com", "a.example.com:443", "b.example.com", "example.com"} {
		_, err := s.AccountByHost(ctx(t), host)
		wantErrIs(t, "AccountByHost("+host+")", err, meta.ErrNotFound)
	}
}

func testSetRegistryHost(t *testing.T, s meta.Store) {
	a := mustAccount(t, s, meta.Account{ID: registryID, Name: "a", Default: true, CreatedAt: base})
	b := mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", RegistryHost: "b.example.com", CreatedAt: base})

	wantNoErr(t, "SetRegistryHost(a)", s.SetRegistryHost(ctx(t), a.ID, "a.example.com"))
	a.RegistryHost = "a.example.com"
	got, err := s.AccountByHost(ctx(t), "a.example.com")
	wantNoErr(t, "AccountByHost of the new host", err)
	wantAccount(t, "AccountByHost of the new host", got, a)
	got, err = s.GetAccount(ctx(t), a.ID)
	wantNoErr(t, "GetAccount", err)
	wantAccount(t, "GetAccount after SetRegistryHost", got, a)

	// Moving it leaves the old host unclaimed; setting the same host again is fine.
	wantNoErr(t, "SetRegistryHost(a) to another host", s.SetRegistryHost(ctx(t), a.ID, "registry.a.example.com"))
	a.RegistryHost = "registry.a.example.com"
	_, err = s.AccountByHost(ctx(t), "a.example.com")
	wantErrIs(t, "AccountByHost of the host a left", err, meta.ErrNotFound)
	wantNoErr(t, "SetRegistryHost(a) to its own host", s.SetRegistryHost(ctx(t), a.ID, a.RegistryHost))

	// Another account's host is refused, and nothing changes.
	err = s.SetRegistryHost(ctx(t), a.ID, "b.example.com")
	wantErrIs(t, "SetRegistryHost to another account's host", err, meta.ErrConflict)
	for _, want := range []meta.Account{a, b} {
		got, err := s.AccountByHost(ctx(t), want.RegistryHost)
		wantNoErr(t, "AccountByHost("+want.RegistryHost+") after a refused SetRegistryHost", err)
		wantAccount(t, "AccountByHost("+want.RegistryHost+") after a refused SetRegistryHost", got, want)
	}

	// Any number of accounts may have no host, and "" never matches.
	wantNoErr(t, "SetRegistryHost(a, \"\")", s.SetRegistryHost(ctx(t), a.ID, ""))
	wantNoErr(t, "SetRegistryHost(b, \"\")", s.SetRegistryHost(ctx(t), b.ID, ""))
	_, err = s.AccountByHost(ctx(t), "")
	wantErrIs(t, "AccountByHost(\"\") once no account has a host", err, meta.ErrNotFound)
	_, err = s.AccountByHost(ctx(t), "b.example.com")
	wantErrIs(t, "AccountByHost of a cleared host", err, meta.ErrNotFound)
	// A freed host can be claimed by another account.
	wantNoErr(t, "SetRegistryHost(a) to the host b freed", s.SetRegistryHost(ctx(t), a.ID, "b.example.com"))
	got, err = s.AccountByHost(ctx(t), "b.example.com")
	wantNoErr(t, "AccountByHost", err)
	if got.ID != a.ID {
		t.Errorf("AccountByHost(b.example.com) = %s, want %s", got.ID, a.ID)
	}
}

func testAccountSettings(t *testing.T, s meta.Store) {
	a := mustAccount(t, s, meta.Account{ID: registryID, Name: "a", CreatedAt: base})
	b := mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", CreatedAt: base})
	const name = "BASIC_SCAN_TYPE_VERSION"

	_, err := s.AccountSetting(ctx(t), a.ID, name)
	wantErrIs(t, "AccountSetting never set", err, meta.ErrNotFound)

	wantNoErr(t, "PutAccountSetting", s.PutAccountSetting(ctx(t), a.ID, name, "AWS_NATIVE"))
	got, err := s.AccountSetting(ctx(t), a.ID, name)
	wantNoErr(t, "AccountSetting", err)
	if got != "AWS_NATIVE" {
		t.Errorf("AccountSetting = %q, want AWS_NATIVE", got)
	}
	wantNoErr(t, "PutAccountSetting overwriting", s.PutAccountSetting(ctx(t), a.ID, name, "CLAIR"))
	got, err = s.AccountSetting(ctx(t), a.ID, name)
	wantNoErr(t, "AccountSetting", err)
	if got != "CLAIR" {
		t.Errorf("AccountSetting after overwriting = %q, want CLAIR", got)
	}
	wantNoErr(t, "PutAccountSetting of an empty value", s.PutAccountSetting(ctx(t), a.ID, "EMPTY", ""))
	got, err = s.AccountSetting(ctx(t), a.ID, "EMPTY")
	wantNoErr(t, "AccountSetting of an empty value", err)
	if got != "" {
		t.Errorf("AccountSetting(EMPTY) = %q, want \"\"", got)
	}

	// Settings belong to one account and one name.
	_, err = s.AccountSetting(ctx(t), b.ID, name)
	wantErrIs(t, "AccountSetting of another account", err, meta.ErrNotFound)
	_, err = s.AccountSetting(ctx(t), a.ID, "REGISTRY_POLICY_SCOPE")
	wantErrIs(t, "AccountSetting of another name", err, meta.ErrNotFound)
	wantNoErr(t, "PutAccountSetting(b)", s.PutAccountSetting(ctx(t), b.ID, name, "AWS_NATIVE"))
	got, err = s.AccountSetting(ctx(t), a.ID, name)
	wantNoErr(t, "AccountSetting(a)", err)
	if got != "CLAIR" {
		t.Errorf("AccountSetting(a) after setting b's = %q, want CLAIR", got)
	}
}

// wantAccessKey compares every field of an access key.
func wantAccessKey(t *testing.T, what string, got, want meta.AccessKey) {
	t.Helper()
	if got.ID != want.ID || got.AccountID != want.AccountID || got.UserName != want.UserName ||
		got.Status != want.Status || !bytes.Equal(got.SecretSealed, want.SecretSealed) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testCreateAndGetAccessKey(t *testing.T, s meta.Store) {
	mustAccount(t, s, meta.Account{ID: registryID, Name: "a", CreatedAt: base})
	mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", CreatedAt: base})
	keys := []meta.AccessKey{
		{ID: "AKIAIOSFODNN7EXAMPLE", AccountID: registryID, SecretSealed: []byte("\x00sealed\xff\x80 secret\x00"),
			Status: "Active", CreatedAt: base},
		{ID: "AKIAI44QH8DHBEXAMPLE", AccountID: registryID, UserName: "ci-bot",
			SecretSealed: randomBytes(80, 7), Status: "Inactive", CreatedAt: base.Add(2500 * time.Microsecond)},
		{ID: "AKIAJ3EXAMPLEOTHER01", AccountID: otherRegistry, UserName: "alice", SecretSealed: []byte("s"),
			Status: "Active", CreatedAt: base.Add(time.Hour)},
	}
	for _, k := range keys {
		wantNoErr(t, "CreateAccessKey("+k.ID+")", s.CreateAccessKey(ctx(t), k))
	}
	for _, want := range keys {
		got, err := s.GetAccessKey(ctx(t), want.ID)
		wantNoErr(t, "GetAccessKey("+want.ID+")", err)
		wantAccessKey(t, "GetAccessKey("+want.ID+")", got, want)
	}
}

func testCreateAccessKeyDuplicateID(t *testing.T, s meta.Store) {
	mustAccount(t, s, meta.Account{ID: registryID, Name: "a", CreatedAt: base})
	mustAccount(t, s, meta.Account{ID: otherRegistry, Name: "b", CreatedAt: base})
	first := meta.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE", AccountID: registryID, UserName: "alice",
		SecretSealed: []byte("first"), Status: "Active", CreatedAt: base}
	wantNoErr(t, "CreateAccessKey", s.CreateAccessKey(ctx(t), first))
	second := meta.AccessKey{ID: first.ID, AccountID: otherRegistry, UserName: "mallory",
		SecretSealed: []byte("second"), Status: "Active", CreatedAt: base.Add(time.Hour)}
	err := s.CreateAccessKey(ctx(t), second)
	wantErrIs(t, "CreateAccessKey of an existing id", err, meta.ErrConflict)
	got, err := s.GetAccessKey(ctx(t), first.ID)
	wantNoErr(t, "GetAccessKey", err)
	wantAccessKey(t, "GetAccessKey after a refused duplicate", got, first)
}

func testGetAccessKeyNotFound(t *testing.T, s meta.Store) {
	mustAccount(t, s, meta.Account{ID: registryID, Name: "a", CreatedAt: base})
	wantNoErr(t, "CreateAccessKey", s.CreateAccessKey(ctx(t), meta.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE",
		AccountID: registryID, SecretSealed: []byte("x"), Status: "Active", CreatedAt: base}))
	for _, id := range []string{"", "AKIAIOSFODNN7EXAMPL", "akiaiosfodnn7example", "AKIAIOSFODNN7EXAMPLE "} {
		_, err := s.GetAccessKey(ctx(t), id)
		wantErrIs(t, "GetAccessKey("+id+")", err, meta.ErrNotFound)
	}
}
