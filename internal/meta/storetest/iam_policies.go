package storetest

import (
	"slices"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

var iamInlinePolicyTests = []test{
	{"PutGetReplaceInlinePolicy", testPutGetReplaceInlinePolicy},
	{"DeleteInlinePolicy", testDeleteInlinePolicy},
	{"ListInlinePolicies", testListInlinePolicies},
	{"InlinePolicyOwnerNotFound", testInlinePolicyOwnerNotFound},
}

var iamAttachmentTests = []test{
	{"AttachAndListPolicies", testAttachAndListPolicies},
	{"AttachPolicyNotFound", testAttachPolicyNotFound},
	{"DetachPolicy", testDetachPolicy},
	{"AttachmentCount", testAttachmentCount},
}

var identityPolicyTests = []test{
	{"IdentityPoliciesOfUser", testIdentityPoliciesOfUser},
	{"IdentityPoliciesOfRole", testIdentityPoliciesOfRole},
	{"IdentityPoliciesFollowChanges", testIdentityPoliciesFollowChanges},
	{"IdentityPoliciesNotFound", testIdentityPoliciesNotFound},
}

// The AWS managed policies the tests attach.
const (
	awsReadOnly  = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
	awsPowerUser = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
	awsAdmin     = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// owners are one identity of each kind, created by mustOwners.
var owners = []struct {
	kind meta.IAMKind
	name string
}{
	{meta.KindUser, "Alice"}, {meta.KindGroup, "Devs"}, {meta.KindRole, "Deployer"},
}

func mustOwners(t *testing.T, s meta.Store, account string) {
	t.Helper()
	mustUser(t, s, account, "Alice", "/")
	mustGroup(t, s, account, "Devs", "/")
	mustRole(t, s, account, "Deployer", "/")
}

func testPutGetReplaceInlinePolicy(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	for _, o := range owners {
		what := string(o.kind) + " " + o.name
		doc := `{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"` + what + `"}]}`
		wantNoErr(t, "PutInlinePolicy of "+what, s.PutInlinePolicy(ctx(t), registryID, o.kind, o.name, "Pull", doc))
		// The owner and the policy are named in any case.
		got, err := s.GetInlinePolicy(ctx(t), registryID, o.kind, swapCase(o.name), "PULL")
		wantNoErr(t, "GetInlinePolicy of "+what, err)
		if got != doc {
			t.Errorf("GetInlinePolicy of %s = %q, want %q", what, got, doc)
		}
		// Put of an existing name (in another case) replaces the document and keeps the name.
		wantNoErr(t, "PutInlinePolicy replacing, of "+what,
			s.PutInlinePolicy(ctx(t), registryID, o.kind, swapCase(o.name), "pull", doc+" v2"))
		got, err = s.GetInlinePolicy(ctx(t), registryID, o.kind, o.name, "Pull")
		wantNoErr(t, "GetInlinePolicy after replacing, of "+what, err)
		if got != doc+" v2" {
			t.Errorf("GetInlinePolicy after replacing, of %s = %q, want %q", what, got, doc+" v2")
		}
		names, err := s.ListInlinePolicies(ctx(t), registryID, o.kind, o.name)
		wantNoErr(t, "ListInlinePolicies of "+what, err)
		wantStrings(t, "ListInlinePolicies of "+what+" after replacing", names, []string{"Pull"})
	}
	// Policies belong to one owner: same name, another kind, account or policy name.
	for _, c := range []struct {
		account string
		kind    meta.IAMKind
		owner   string
		name    string
	}{
		{registryID, meta.KindRole, "Alice", "Pull"},
		{registryID, meta.KindUser, "Devs", "Pull"},
		{otherRegistry, meta.KindUser, "Alice", "Pull"},
		{registryID, meta.KindUser, "Alice", "Push"},
		{registryID, meta.KindUser, "Alic", "Pull"},
	} {
		_, err := s.GetInlinePolicy(ctx(t), c.account, c.kind, c.owner, c.name)
		wantErrIs(t, "GetInlinePolicy("+c.account+", "+string(c.kind)+", "+c.owner+", "+c.name+")", err, meta.ErrNotFound)
	}
}

// swapCase returns name with the case of each ASCII letter swapped.
func swapCase(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func testDeleteInlinePolicy(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	for _, o := range owners {
		what := string(o.kind) + " " + o.name
		for _, name := range []string{"a", "b"} {
			wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, o.kind, o.name, name, name))
		}
		wantNoErr(t, "DeleteInlinePolicy of "+what, s.DeleteInlinePolicy(ctx(t), registryID, o.kind, swapCase(o.name), "A"))
		_, err := s.GetInlinePolicy(ctx(t), registryID, o.kind, o.name, "a")
		wantErrIs(t, "GetInlinePolicy of a deleted policy of "+what, err, meta.ErrNotFound)
		err = s.DeleteInlinePolicy(ctx(t), registryID, o.kind, o.name, "a")
		wantErrIs(t, "DeleteInlinePolicy twice, of "+what, err, meta.ErrNotFound)
		got, err := s.GetInlinePolicy(ctx(t), registryID, o.kind, o.name, "b")
		wantNoErr(t, "GetInlinePolicy of the policy left, of "+what, err)
		if got != "b" {
			t.Errorf("GetInlinePolicy(b) of %s = %q, want b", what, got)
		}
	}
	for _, c := range []struct {
		kind        meta.IAMKind
		owner, name string
	}{
		{meta.KindUser, "nobody", "b"}, {meta.KindGroup, "Alice", "b"}, {meta.KindRole, "Deployer", "never"},
	} {
		err := s.DeleteInlinePolicy(ctx(t), registryID, c.kind, c.owner, c.name)
		wantErrIs(t, "DeleteInlinePolicy("+string(c.kind)+", "+c.owner+", "+c.name+")", err, meta.ErrNotFound)
	}
	err := s.DeleteInlinePolicy(ctx(t), otherRegistry, meta.KindUser, "Alice", "b")
	wantErrIs(t, "DeleteInlinePolicy in another account", err, meta.ErrNotFound)
}

func testListInlinePolicies(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	mustUser(t, s, registryID, "bob", "/")
	for _, o := range owners {
		names, err := s.ListInlinePolicies(ctx(t), registryID, o.kind, o.name)
		wantNoErr(t, "ListInlinePolicies of no policies", err)
		wantStrings(t, "ListInlinePolicies of no policies", names, nil)
	}
	for _, name := range []string{"pull", "Admin", "push", "_x", "Build"} {
		wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", name, "{}"))
	}
	wantNoErr(t, "PutInlinePolicy of bob", s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "bob", "bobs", "{}"))
	wantNoErr(t, "PutInlinePolicy of the group", s.PutInlinePolicy(ctx(t), registryID, meta.KindGroup, "devs", "grp", "{}"))
	names, err := s.ListInlinePolicies(ctx(t), registryID, meta.KindUser, "ALICE")
	wantNoErr(t, "ListInlinePolicies(alice)", err)
	wantStrings(t, "ListInlinePolicies(alice)", names, []string{"_x", "Admin", "Build", "pull", "push"})
	names, err = s.ListInlinePolicies(ctx(t), registryID, meta.KindGroup, "Devs")
	wantNoErr(t, "ListInlinePolicies(devs)", err)
	wantStrings(t, "ListInlinePolicies(devs)", names, []string{"grp"})
}

func testInlinePolicyOwnerNotFound(t *testing.T, s meta.Store) {
	mustOwners(t, s, otherRegistry)
	mustUser(t, s, registryID, "Devs", "/")
	// Each owner exists only in the other account or as another kind.
	for _, c := range []struct {
		kind  meta.IAMKind
		owner string
	}{
		{meta.KindUser, "Alice"}, {meta.KindGroup, "Devs"}, {meta.KindRole, "Deployer"}, {meta.KindRole, "Devs"},
	} {
		what := string(c.kind) + " " + c.owner
		err := s.PutInlinePolicy(ctx(t), registryID, c.kind, c.owner, "p", "{}")
		wantErrIs(t, "PutInlinePolicy of no "+what, err, meta.ErrNotFound)
		_, err = s.ListInlinePolicies(ctx(t), registryID, c.kind, c.owner)
		wantErrIs(t, "ListInlinePolicies of no "+what, err, meta.ErrNotFound)
		_, err = s.GetInlinePolicy(ctx(t), registryID, c.kind, c.owner, "p")
		wantErrIs(t, "GetInlinePolicy of no "+what, err, meta.ErrNotFound)
	}
}

func testAttachAndListPolicies(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	zeta := mustPolicy(t, s, registryID, "Zeta", "/", "{}").ARN
	alpha := mustPolicy(t, s, registryID, "alpha", "/team/", "{}").ARN
	for _, o := range owners {
		what := string(o.kind) + " " + o.name
		got, err := s.ListAttachedPolicies(ctx(t), registryID, o.kind, o.name)
		wantNoErr(t, "ListAttachedPolicies of "+what+" before", err)
		wantStrings(t, "ListAttachedPolicies of "+what+" before", got, nil)
		for _, arn := range []string{zeta, awsReadOnly, alpha, awsAdmin, zeta, awsReadOnly} {
			// Attaching twice is not an error; the owner is named in any case.
			wantNoErr(t, "AttachPolicy("+arn+") to "+what, s.AttachPolicy(ctx(t), registryID, o.kind, swapCase(o.name), arn))
		}
		got, err = s.ListAttachedPolicies(ctx(t), registryID, o.kind, swapCase(o.name))
		wantNoErr(t, "ListAttachedPolicies of "+what, err)
		want := []string{zeta, alpha, awsReadOnly, awsAdmin}
		slices.Sort(want)
		wantStrings(t, "ListAttachedPolicies of "+what, got, want)
	}
	// Attaching twice counted once per identity.
	p, err := s.GetPolicy(ctx(t), zeta)
	wantNoErr(t, "GetPolicy", err)
	if p.AttachmentCount != 3 {
		t.Errorf("GetPolicy(%s).AttachmentCount = %d, want 3 (a user, a group, a role)", zeta, p.AttachmentCount)
	}
	for _, c := range []struct {
		kind  meta.IAMKind
		owner string
	}{{meta.KindUser, "nobody"}, {meta.KindUser, "Devs"}, {meta.KindGroup, "Alice"}, {meta.KindRole, "Alice"}} {
		_, err := s.ListAttachedPolicies(ctx(t), registryID, c.kind, c.owner)
		wantErrIs(t, "ListAttachedPolicies("+string(c.kind)+", "+c.owner+")", err, meta.ErrNotFound)
	}
	_, err = s.ListAttachedPolicies(ctx(t), otherRegistry, meta.KindUser, "Alice")
	wantErrIs(t, "ListAttachedPolicies in another account", err, meta.ErrNotFound)
}

func testAttachPolicyNotFound(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	mustUser(t, s, otherRegistry, "Alice", "/")
	theirs := mustPolicy(t, s, otherRegistry, "theirs", "/", "{}").ARN
	ours := mustPolicy(t, s, registryID, "ours", "/", "{}").ARN
	for _, o := range owners {
		what := string(o.kind) + " " + o.name
		for _, arn := range []string{
			customerARN(registryID, "/", "missing"),
			customerARN(registryID, "/other/path/", "ours"),
			// Another account's policy is not one this account can attach.
			theirs,
		} {
			err := s.AttachPolicy(ctx(t), registryID, o.kind, o.name, arn)
			wantErrIs(t, "AttachPolicy("+arn+") to "+what, err, meta.ErrNotFound)
		}
		got, err := s.ListAttachedPolicies(ctx(t), registryID, o.kind, o.name)
		wantNoErr(t, "ListAttachedPolicies of "+what, err)
		wantStrings(t, "ListAttachedPolicies of "+what+" after refused attachments", got, nil)
	}
	for _, c := range []struct {
		kind  meta.IAMKind
		owner string
		arn   string
	}{
		{meta.KindUser, "nobody", ours}, {meta.KindUser, "nobody", awsReadOnly},
		{meta.KindGroup, "Deployer", awsReadOnly}, {meta.KindRole, "Devs", ours},
	} {
		err := s.AttachPolicy(ctx(t), registryID, c.kind, c.owner, c.arn)
		wantErrIs(t, "AttachPolicy to no "+string(c.kind)+" "+c.owner, err, meta.ErrNotFound)
	}
	p, err := s.GetPolicy(ctx(t), ours)
	wantNoErr(t, "GetPolicy", err)
	if p.AttachmentCount != 0 {
		t.Errorf("AttachmentCount after refused attachments = %d, want 0", p.AttachmentCount)
	}
}

func testDetachPolicy(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	arn := mustPolicy(t, s, registryID, "pol", "/", "{}").ARN
	for _, o := range owners {
		what := string(o.kind) + " " + o.name
		err := s.DetachPolicy(ctx(t), registryID, o.kind, o.name, arn)
		wantErrIs(t, "DetachPolicy of a policy not attached to "+what, err, meta.ErrNotFound)
		wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, o.kind, o.name, arn))
		wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, o.kind, o.name, awsReadOnly))
	}
	for i, o := range owners {
		what := string(o.kind) + " " + o.name
		wantNoErr(t, "DetachPolicy from "+what, s.DetachPolicy(ctx(t), registryID, o.kind, swapCase(o.name), arn))
		err := s.DetachPolicy(ctx(t), registryID, o.kind, o.name, arn)
		wantErrIs(t, "DetachPolicy twice from "+what, err, meta.ErrNotFound)
		got, err := s.ListAttachedPolicies(ctx(t), registryID, o.kind, o.name)
		wantNoErr(t, "ListAttachedPolicies of "+what, err)
		wantStrings(t, "ListAttachedPolicies of "+what+" after DetachPolicy", got, []string{awsReadOnly})
		p, err := s.GetPolicy(ctx(t), arn)
		wantNoErr(t, "GetPolicy", err)
		if want := len(owners) - i - 1; p.AttachmentCount != want {
			t.Errorf("AttachmentCount after detaching from %s = %d, want %d", what, p.AttachmentCount, want)
		}
	}
	err := s.DetachPolicy(ctx(t), registryID, meta.KindUser, "nobody", awsReadOnly)
	wantErrIs(t, "DetachPolicy from no user", err, meta.ErrNotFound)
	err = s.DetachPolicy(ctx(t), otherRegistry, meta.KindUser, "Alice", awsReadOnly)
	wantErrIs(t, "DetachPolicy in another account", err, meta.ErrNotFound)
}

func testAttachmentCount(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	mustOwners(t, s, otherRegistry)
	mustUser(t, s, registryID, "bob", "/")
	count := func(account, arn string) int {
		t.Helper()
		n, err := s.AttachmentCount(ctx(t), account, arn)
		wantNoErr(t, "AttachmentCount("+account+", "+arn+")", err)
		return n
	}
	if n := count(registryID, awsReadOnly); n != 0 {
		t.Errorf("AttachmentCount of an unattached AWS policy = %d, want 0", n)
	}
	for _, o := range owners {
		wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, o.kind, o.name, awsReadOnly))
	}
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindUser, "bob", awsReadOnly))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), otherRegistry, meta.KindRole, "Deployer", awsReadOnly))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindUser, "bob", awsPowerUser))
	ours := mustPolicy(t, s, registryID, "ours", "/", "{}").ARN
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "Devs", ours))
	for _, c := range []struct {
		account, arn string
		want         int
	}{
		{registryID, awsReadOnly, 4},
		{otherRegistry, awsReadOnly, 1},
		{registryID, awsPowerUser, 1},
		{otherRegistry, awsPowerUser, 0},
		{registryID, awsAdmin, 0},
		{registryID, ours, 1},
		{otherRegistry, ours, 0},
	} {
		if n := count(c.account, c.arn); n != c.want {
			t.Errorf("AttachmentCount(%s, %s) = %d, want %d", c.account, c.arn, n, c.want)
		}
	}
}

// sorted returns a sorted copy of v.
func sorted(v []string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	return v
}

// wantIdentityPolicies fails the test unless IdentityPolicies returns exactly the
// documents and AWS managed ARNs wanted, in any order.
func wantIdentityPolicies(t *testing.T, s meta.Store, account string, kind meta.IAMKind, name string, docs, arns []string) {
	t.Helper()
	what := "IdentityPolicies(" + string(kind) + " " + name + ")"
	gotDocs, gotARNs, err := s.IdentityPolicies(ctx(t), account, kind, name)
	wantNoErr(t, what, err)
	wantStrings(t, what+" documents (sorted)", sorted(gotDocs), sorted(docs))
	wantStrings(t, what+" AWS managed ARNs (sorted)", sorted(gotARNs), sorted(arns))
}

func testIdentityPoliciesOfUser(t *testing.T, s meta.Store) {
	mustUser(t, s, registryID, "Alice", "/")
	mustUser(t, s, registryID, "bob", "/")
	for _, g := range []string{"Devs", "ops", "admins"} {
		mustGroup(t, s, registryID, g, "/")
	}
	put := func(kind meta.IAMKind, owner, name, doc string) {
		t.Helper()
		wantNoErr(t, "PutInlinePolicy("+owner+", "+name+")", s.PutInlinePolicy(ctx(t), registryID, kind, owner, name, doc))
	}
	attach := func(kind meta.IAMKind, owner, arn string) {
		t.Helper()
		wantNoErr(t, "AttachPolicy("+owner+", "+arn+")", s.AttachPolicy(ctx(t), registryID, kind, owner, arn))
	}
	userPol := mustPolicy(t, s, registryID, "user-pol", "/", "user-pol v1").ARN
	// A version that is not the default does not apply.
	_, err := s.CreatePolicyVersion(ctx(t), userPol, "user-pol v2 (not default)", false, base)
	wantNoErr(t, "CreatePolicyVersion", err)
	groupPol := mustPolicy(t, s, registryID, "group-pol", "/", "group-pol v1").ARN
	_, err = s.CreatePolicyVersion(ctx(t), groupPol, "group-pol v2", true, base)
	wantNoErr(t, "CreatePolicyVersion", err)
	shared := mustPolicy(t, s, registryID, "shared", "/", "shared v1").ARN
	adminPol := mustPolicy(t, s, registryID, "admin-pol", "/", "admin-pol v1").ARN

	put(meta.KindUser, "alice", "u1", "alice inline 1")
	put(meta.KindUser, "alice", "u2", "alice inline 2")
	attach(meta.KindUser, "alice", userPol)
	attach(meta.KindUser, "alice", shared)
	attach(meta.KindUser, "alice", awsReadOnly)
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "devs", "alice"))
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "ops", "ALICE"))
	put(meta.KindGroup, "devs", "g1", "devs inline")
	attach(meta.KindGroup, "devs", groupPol)
	attach(meta.KindGroup, "devs", shared)
	attach(meta.KindGroup, "devs", awsReadOnly)
	attach(meta.KindGroup, "ops", awsPowerUser)
	// Not alice's: another user's, a group she is not in, and a role's.
	put(meta.KindUser, "bob", "b1", "bob inline")
	attach(meta.KindUser, "bob", adminPol)
	attach(meta.KindUser, "bob", awsAdmin)
	put(meta.KindGroup, "admins", "a1", "admins inline")
	attach(meta.KindGroup, "admins", adminPol)
	attach(meta.KindGroup, "admins", awsAdmin)
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "admins", "bob"))
	mustRole(t, s, registryID, "alice", "/")
	put(meta.KindRole, "alice", "r1", "role inline")
	// The same names in another account.
	mustUser(t, s, otherRegistry, "Alice", "/")
	mustGroup(t, s, otherRegistry, "Devs", "/")
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), otherRegistry, meta.KindUser, "alice", "u1", "other account"))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), otherRegistry, meta.KindGroup, "devs", "g1", "other account group"))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), otherRegistry, meta.KindUser, "alice", awsAdmin))

	for _, name := range []string{"Alice", "aLICE"} {
		what := "IdentityPolicies(user " + name + ")"
		docs, arns, err := s.IdentityPolicies(ctx(t), registryID, meta.KindUser, name)
		wantNoErr(t, what, err)
		// shared is attached to alice and to her group: its document may come once or
		// twice (stores need not drop the duplicate).
		if n := countOf(docs, "shared v1"); n < 1 || n > 2 {
			t.Errorf("%s has the document of a policy attached to the user and her group %d times, want 1 or 2", what, n)
		}
		docs = slices.DeleteFunc(docs, func(d string) bool { return d == "shared v1" })
		wantStrings(t, what+" documents (sorted, but shared's)", sorted(docs),
			sorted([]string{"alice inline 1", "alice inline 2", "user-pol v1", "devs inline", "group-pol v2"}))
		// An AWS managed policy attached to the user and her group comes once.
		wantStrings(t, what+" AWS managed ARNs (sorted)", sorted(arns), sorted([]string{awsReadOnly, awsPowerUser}))
	}
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "bob",
		[]string{"bob inline", "admin-pol v1", "admins inline"}, []string{awsAdmin})
	wantIdentityPolicies(t, s, otherRegistry, meta.KindUser, "alice", []string{"other account"}, []string{awsAdmin})
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), otherRegistry, "devs", "alice"))
	wantIdentityPolicies(t, s, otherRegistry, meta.KindUser, "alice",
		[]string{"other account", "other account group"}, []string{awsAdmin})
}

func countOf(v []string, s string) int {
	n := 0
	for _, x := range v {
		if x == s {
			n++
		}
	}
	return n
}

func testIdentityPoliciesOfRole(t *testing.T, s meta.Store) {
	mustRole(t, s, registryID, "Deployer", "/")
	wantIdentityPolicies(t, s, registryID, meta.KindRole, "deployer", nil, nil)
	pol := mustPolicy(t, s, registryID, "deploy", "/", "deploy v1").ARN
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindRole, "deployer", "inline", "role inline"))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", pol))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", awsPowerUser))
	// A user and a group of the same name do not lend the role their policies.
	mustUser(t, s, registryID, "Deployer", "/")
	mustGroup(t, s, registryID, "Deployer", "/")
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "Deployer", "Deployer"))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "deployer", "inline", "user inline"))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindGroup, "deployer", "inline", "group inline"))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "deployer", awsAdmin))
	wantIdentityPolicies(t, s, registryID, meta.KindRole, "DEPLOYER", []string{"role inline", "deploy v1"}, []string{awsPowerUser})
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "deployer", []string{"user inline", "group inline"}, []string{awsAdmin})
}

func testIdentityPoliciesFollowChanges(t *testing.T, s meta.Store) {
	mustUser(t, s, registryID, "alice", "/")
	mustGroup(t, s, registryID, "devs", "/")
	pol := mustPolicy(t, s, registryID, "pol", "/", "pol v1").ARN
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", nil, nil)

	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "devs", pol))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindGroup, "devs", "g", "group inline"))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "devs", awsReadOnly))
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", nil, nil)
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "devs", "alice"))
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", []string{"pol v1", "group inline"}, []string{awsReadOnly})

	v2, err := s.CreatePolicyVersion(ctx(t), pol, "pol v2", false, base)
	wantNoErr(t, "CreatePolicyVersion", err)
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", []string{"pol v1", "group inline"}, []string{awsReadOnly})
	wantNoErr(t, "SetDefaultPolicyVersion", s.SetDefaultPolicyVersion(ctx(t), pol, v2.VersionID, base))
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", []string{"pol v2", "group inline"}, []string{awsReadOnly})
	wantNoErr(t, "PutInlinePolicy replacing", s.PutInlinePolicy(ctx(t), registryID, meta.KindGroup, "devs", "g", "group inline 2"))
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", []string{"pol v2", "group inline 2"}, []string{awsReadOnly})

	wantNoErr(t, "RemoveUserFromGroup", s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice"))
	wantIdentityPolicies(t, s, registryID, meta.KindUser, "alice", nil, nil)
}

func testIdentityPoliciesNotFound(t *testing.T, s meta.Store) {
	mustOwners(t, s, otherRegistry)
	mustGroup(t, s, registryID, "Alice", "/")
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "Alice", awsAdmin))
	for _, c := range []struct {
		kind meta.IAMKind
		name string
	}{
		{meta.KindUser, "Alice"}, {meta.KindRole, "Deployer"}, {meta.KindRole, "Alice"}, {meta.KindUser, ""},
	} {
		docs, arns, err := s.IdentityPolicies(ctx(t), registryID, c.kind, c.name)
		if err == nil {
			t.Errorf("IdentityPolicies(%s %s) of no identity = %q, %q, want ErrNotFound", c.kind, c.name, docs, arns)
			continue
		}
		wantErrIs(t, "IdentityPolicies("+string(c.kind)+" "+c.name+")", err, meta.ErrNotFound)
	}
}
