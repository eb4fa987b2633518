package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var iamUserTests = []test{
	{"CreateAndGetUser", testCreateAndGetUser},
	{"CreateUserDuplicateName", testCreateUserDuplicateName},
	{"ListUsers", testListUsers},
	{"ListUsersPathPrefix", testListUsersPathPrefix},
	{"DeleteUser", testDeleteUser},
	{"DeleteUserInUse", testDeleteUserInUse},
}

// iamID returns a distinct IAM unique id with a prefix (AIDA, AGPA, AROA, ANPA).
func iamID(prefix, name string) string {
	return prefix + strings.ToUpper(dgst(name).Encoded()[:17])
}

func mustUser(t *testing.T, s meta.Store, account, name, path string) meta.User {
	t.Helper()
	u := meta.User{AccountID: account, Name: name, ID: iamID("AIDA", account+"/user/"+name), Path: path,
		CreatedAt: base.Add(time.Duration(len(name)) * time.Second)}
	if err := s.CreateUser(ctx(t), u); err != nil {
		t.Fatalf("CreateUser(%s, %q): %v", account, name, err)
	}
	return u
}

// wantUser compares every field of a user.
func wantUser(t *testing.T, what string, got, want meta.User) {
	t.Helper()
	if got.AccountID != want.AccountID || got.Name != want.Name || got.ID != want.ID || got.Path != want.Path {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func userNames(us []meta.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

// wantInUse fails the test unless err is an *meta.InUseError naming dependents, which
// is also a meta.ErrConflict.
func wantInUse(t *testing.T, what string, err error, dependents string) {
	t.Helper()
	var inUse *meta.InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("%s: error %v, want an *InUseError (%q)", what, err, dependents)
	}
	if inUse.Dependents != dependents {
		t.Fatalf("%s: InUseError.Dependents = %q, want %q", what, inUse.Dependents, dependents)
	}
	if !errors.Is(err, meta.ErrConflict) {
		t.Errorf("%s: errors.Is(%v, ErrConflict) = false, want true", what, err)
	}
}

// namesPaged lists everything with list, limit at a time, following after, and fails
// the test if a page is longer than limit or the listing does not end.
func namesPaged(t *testing.T, what string, limit int, list func(after string) ([]string, error)) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		page, err := list(after)
		wantNoErr(t, what+" after "+after, err)
		if len(page) > limit {
			t.Fatalf("%s after %q: %d items %q, want at most %d", what, after, len(page), page, limit)
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		after = page[len(page)-1]
	}
	t.Fatalf("%s: the listing never ends: %q…", what, all[:10])
	return nil
}

func testCreateAndGetUser(t *testing.T, s meta.Store) {
	users := []meta.User{
		mustUser(t, s, registryID, "alice", "/"),
		mustUser(t, s, registryID, "Bob.Builder+ci@example.com", "/eng/build/"),
		mustUser(t, s, otherRegistry, "alice", "/other/"),
	}
	for _, want := range users {
		got, err := s.GetUser(ctx(t), want.AccountID, want.Name)
		wantNoErr(t, "GetUser("+want.Name+")", err)
		wantUser(t, "GetUser("+want.Name+")", got, want)
	}
	// Lookups ignore case and return the name as created.
	for _, name := range []string{"ALICE", "Alice", "aLiCe"} {
		got, err := s.GetUser(ctx(t), registryID, name)
		wantNoErr(t, "GetUser("+name+")", err)
		wantUser(t, "GetUser("+name+")", got, users[0])
	}
	got, err := s.GetUser(ctx(t), registryID, "bob.builder+CI@EXAMPLE.COM")
	wantNoErr(t, "GetUser in another case", err)
	wantUser(t, "GetUser in another case", got, users[1])

	for _, c := range []struct{ account, name string }{
		{registryID, "alic"}, {registryID, "alice "}, {registryID, ""}, {"000000000001", "alice"},
		{otherRegistry, "Bob.Builder+ci@example.com"},
	} {
		_, err := s.GetUser(ctx(t), c.account, c.name)
		wantErrIs(t, "GetUser("+c.account+", "+c.name+")", err, meta.ErrNotFound)
	}
}

func testCreateUserDuplicateName(t *testing.T, s meta.Store) {
	first := mustUser(t, s, registryID, "Alice", "/")
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		err := s.CreateUser(ctx(t), meta.User{AccountID: registryID, Name: name, ID: iamID("AIDA", "dup-"+name),
			Path: "/dup/", CreatedAt: base.Add(time.Hour)})
		wantErrIs(t, "CreateUser("+name+") over Alice", err, meta.ErrConflict)
	}
	got, err := s.GetUser(ctx(t), registryID, "alice")
	wantNoErr(t, "GetUser", err)
	wantUser(t, "GetUser after refused duplicates", got, first)
	// The same name in another account is another user.
	mustUser(t, s, otherRegistry, "alice", "/")
}

func testListUsers(t *testing.T, s meta.Store) {
	got, err := s.ListUsers(ctx(t), registryID, "", "", 10)
	wantNoErr(t, "ListUsers of no users", err)
	wantStrings(t, "ListUsers of no users", userNames(got), nil)

	// Case-insensitive order differs from byte order ("Bob" < "Dave" < "alice").
	for _, name := range []string{"eve", "Dave", "alice", "carol", "Bob", "_under", "Zed"} {
		mustUser(t, s, registryID, name, "/")
	}
	mustUser(t, s, otherRegistry, "mallory", "/")
	all := []string{"_under", "alice", "Bob", "carol", "Dave", "eve", "Zed"}

	got, err = s.ListUsers(ctx(t), registryID, "", "", 100)
	wantNoErr(t, "ListUsers", err)
	wantStrings(t, "ListUsers", userNames(got), all)
	if len(got) > 0 {
		want := meta.User{AccountID: registryID, Name: "_under", ID: iamID("AIDA", registryID+"/user/_under"), Path: "/",
			CreatedAt: base.Add(6 * time.Second)}
		wantUser(t, "ListUsers[0]", got[0], want)
	}
	for _, limit := range []int{1, 2, 3, 7} {
		names := namesPaged(t, "ListUsers limit "+itoa(limit), limit, func(after string) ([]string, error) {
			us, err := s.ListUsers(ctx(t), registryID, "/", after, limit)
			return userNames(us), err
		})
		wantStrings(t, "ListUsers in pages of "+itoa(limit), names, all)
	}
	// after is exclusive and ignores case; it need not be a user.
	for _, c := range []struct {
		after string
		want  []string
	}{
		{"bob", []string{"carol", "Dave", "eve", "Zed"}},
		{"BOB", []string{"carol", "Dave", "eve", "Zed"}},
		{"b", []string{"Bob", "carol", "Dave", "eve", "Zed"}},
		{"DAVID", []string{"eve", "Zed"}},
		{"zed", nil},
		{"zz", nil},
	} {
		got, err := s.ListUsers(ctx(t), registryID, "", c.after, 100)
		wantNoErr(t, "ListUsers after "+c.after, err)
		wantStrings(t, "ListUsers after "+c.after, userNames(got), c.want)
	}
	got, err = s.ListUsers(ctx(t), otherRegistry, "", "", 100)
	wantNoErr(t, "ListUsers of the other account", err)
	wantStrings(t, "ListUsers of the other account", userNames(got), []string{"mallory"})
}

func testListUsersPathPrefix(t *testing.T, s meta.Store) {
	for _, u := range []struct{ name, path string }{
		{"root", "/"}, {"eng1", "/eng/"}, {"eng2", "/eng/build/"}, {"engineer", "/engineering/"},
		{"upper", "/ENG/"}, {"ops", "/ops/"},
	} {
		mustUser(t, s, registryID, u.name, u.path)
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"eng1", "eng2", "engineer", "ops", "root", "upper"}},
		{"/", []string{"eng1", "eng2", "engineer", "ops", "root", "upper"}},
		{"/eng/", []string{"eng1", "eng2"}},
		{"/eng", []string{"eng1", "eng2", "engineer"}},
		{"/eng/build/", []string{"eng2"}},
		{"/ENG/", []string{"upper"}},
		{"/nothing/", nil},
		{"eng", nil},
	} {
		got, err := s.ListUsers(ctx(t), registryID, c.prefix, "", 100)
		wantNoErr(t, "ListUsers under "+c.prefix, err)
		wantStrings(t, "ListUsers under "+c.prefix, userNames(got), c.want)
	}
	// The prefix and the page work together.
	got, err := s.ListUsers(ctx(t), registryID, "/eng", "eng1", 1)
	wantNoErr(t, "ListUsers under /eng after eng1", err)
	wantStrings(t, "ListUsers under /eng after eng1 limit 1", userNames(got), []string{"eng2"})
}

func testDeleteUser(t *testing.T, s meta.Store) {
	err := s.DeleteUser(ctx(t), registryID, "alice")
	wantErrIs(t, "DeleteUser of no user", err, meta.ErrNotFound)
	mustUser(t, s, registryID, "Alice", "/")
	mustUser(t, s, otherRegistry, "alice", "/")
	err = s.DeleteUser(ctx(t), "000000000001", "alice")
	wantErrIs(t, "DeleteUser in an account without the user", err, meta.ErrNotFound)

	wantNoErr(t, "DeleteUser in another case", s.DeleteUser(ctx(t), registryID, "ALICE"))
	_, err = s.GetUser(ctx(t), registryID, "alice")
	wantErrIs(t, "GetUser of a deleted user", err, meta.ErrNotFound)
	err = s.DeleteUser(ctx(t), registryID, "Alice")
	wantErrIs(t, "DeleteUser twice", err, meta.ErrNotFound)
	_, err = s.GetUser(ctx(t), otherRegistry, "alice")
	wantNoErr(t, "GetUser of the other account's user", err)

	// The name is free again, in any case.
	again := mustUser(t, s, registryID, "alice", "/again/")
	got, err := s.GetUser(ctx(t), registryID, "Alice")
	wantNoErr(t, "GetUser of the recreated user", err)
	wantUser(t, "GetUser of the recreated user", got, again)
}

func testDeleteUserInUse(t *testing.T, s meta.Store) {
	mustUser(t, s, registryID, "alice", "/")
	mustGroup(t, s, registryID, "devs", "/")
	mustPolicy(t, s, registryID, "pol", "/", `{"v":1}`)
	key := meta.AccessKey{ID: "AKIAALICE00000000001", AccountID: registryID, UserName: "alice",
		SecretSealed: []byte("s"), Status: "Active", CreatedAt: base}
	wantNoErr(t, "CreateAccessKey", s.CreateAccessKey(ctx(t), key))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "inline", `{}`))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindUser, "alice", customerARN(registryID, "/", "pol")))
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "devs", "alice"))

	// Each dependency blocks the delete in turn, in the documented order.
	steps := []struct {
		dependents string
		remove     func() error
	}{
		{"access keys", func() error { return s.DeleteAccessKey(ctx(t), registryID, "alice", key.ID) }},
		{"policies", func() error { return s.DeleteInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "inline") }},
		{"attached policies", func() error {
			return s.DetachPolicy(ctx(t), registryID, meta.KindUser, "alice", customerARN(registryID, "/", "pol"))
		}},
		{"groups", func() error { return s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice") }},
	}
	for _, st := range steps {
		wantInUse(t, "DeleteUser with "+st.dependents, s.DeleteUser(ctx(t), registryID, "Alice"), st.dependents)
		_, err := s.GetUser(ctx(t), registryID, "alice")
		wantNoErr(t, "GetUser after a refused DeleteUser", err)
		wantNoErr(t, "removing the "+st.dependents, st.remove())
	}
	wantNoErr(t, "DeleteUser once nothing depends on it", s.DeleteUser(ctx(t), registryID, "alice"))
	_, err := s.GetUser(ctx(t), registryID, "alice")
	wantErrIs(t, "GetUser of the deleted user", err, meta.ErrNotFound)
	// A key of another user, or of root, does not block.
	mustUser(t, s, registryID, "bob", "/")
	for _, k := range []meta.AccessKey{
		{ID: "AKIAROOT000000000001", AccountID: registryID, SecretSealed: []byte("s"), Status: "Active", CreatedAt: base},
		{ID: "AKIABOB0000000000001", AccountID: otherRegistry, UserName: "bob", SecretSealed: []byte("s"), Status: "Active", CreatedAt: base},
	} {
		wantNoErr(t, "CreateAccessKey("+k.ID+")", s.CreateAccessKey(ctx(t), k))
	}
	wantNoErr(t, "DeleteUser with only others' keys", s.DeleteUser(ctx(t), registryID, "bob"))
	// A key names its user in any case.
	mustUser(t, s, registryID, "carol", "/")
	wantNoErr(t, "CreateAccessKey", s.CreateAccessKey(ctx(t), meta.AccessKey{ID: "AKIACAROL00000000001",
		AccountID: registryID, UserName: "Carol", SecretSealed: []byte("s"), Status: "Active", CreatedAt: base}))
	wantInUse(t, "DeleteUser with a key naming it in another case", s.DeleteUser(ctx(t), registryID, "carol"), "access keys")
}

var iamGroupTests = []test{
	{"CreateGetListGroups", testCreateGetListGroups},
	{"GroupMembership", testGroupMembership},
	{"GroupMembershipNotFound", testGroupMembershipNotFound},
	{"DeleteGroupInUse", testDeleteGroupInUse},
}

func mustGroup(t *testing.T, s meta.Store, account, name, path string) meta.Group {
	t.Helper()
	g := meta.Group{AccountID: account, Name: name, ID: iamID("AGPA", account+"/group/"+name), Path: path,
		CreatedAt: base.Add(time.Duration(len(name)) * time.Minute)}
	if err := s.CreateGroup(ctx(t), g); err != nil {
		t.Fatalf("CreateGroup(%s, %q): %v", account, name, err)
	}
	return g
}

// wantGroup compares every field of a group.
func wantGroup(t *testing.T, what string, got, want meta.Group) {
	t.Helper()
	if got.AccountID != want.AccountID || got.Name != want.Name || got.ID != want.ID || got.Path != want.Path {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func groupNames(gs []meta.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Name
	}
	return out
}

func testCreateGetListGroups(t *testing.T, s meta.Store) {
	admins := mustGroup(t, s, registryID, "Admins", "/")
	for _, name := range []string{"devs", "Ops", "builders"} {
		mustGroup(t, s, registryID, name, "/eng/")
	}
	mustGroup(t, s, otherRegistry, "admins", "/")

	got, err := s.GetGroup(ctx(t), registryID, "ADMINS")
	wantNoErr(t, "GetGroup in another case", err)
	wantGroup(t, "GetGroup in another case", got, admins)
	_, err = s.GetGroup(ctx(t), registryID, "admin")
	wantErrIs(t, "GetGroup of no group", err, meta.ErrNotFound)
	_, err = s.GetGroup(ctx(t), "000000000001", "admins")
	wantErrIs(t, "GetGroup in another account", err, meta.ErrNotFound)

	err = s.CreateGroup(ctx(t), meta.Group{AccountID: registryID, Name: "admins", ID: iamID("AGPA", "dup"), Path: "/",
		CreatedAt: base})
	wantErrIs(t, "CreateGroup of a name in another case", err, meta.ErrConflict)

	all := []string{"Admins", "builders", "devs", "Ops"}
	got2, err := s.ListGroups(ctx(t), registryID, "", "", 100)
	wantNoErr(t, "ListGroups", err)
	wantStrings(t, "ListGroups", groupNames(got2), all)
	if len(got2) == 4 {
		wantGroup(t, "ListGroups[0]", got2[0], admins)
	}
	names := namesPaged(t, "ListGroups", 3, func(after string) ([]string, error) {
		gs, err := s.ListGroups(ctx(t), registryID, "/", after, 3)
		return groupNames(gs), err
	})
	wantStrings(t, "ListGroups in pages of 3", names, all)
	got2, err = s.ListGroups(ctx(t), registryID, "/eng/", "BUILDERS", 100)
	wantNoErr(t, "ListGroups under /eng/ after BUILDERS", err)
	wantStrings(t, "ListGroups under /eng/ after BUILDERS", groupNames(got2), []string{"devs", "Ops"})
	got2, err = s.ListGroups(ctx(t), otherRegistry, "/", "", 100)
	wantNoErr(t, "ListGroups of the other account", err)
	wantStrings(t, "ListGroups of the other account", groupNames(got2), []string{"admins"})
}

func testGroupMembership(t *testing.T, s meta.Store) {
	users := map[string]meta.User{}
	for _, name := range []string{"carol", "Alice", "bob", "dave", "Eve"} {
		users[name] = mustUser(t, s, registryID, name, "/")
	}
	groups := map[string]meta.Group{}
	for _, name := range []string{"devs", "Admins", "ops", "Zeta"} {
		groups[name] = mustGroup(t, s, registryID, name, "/")
	}
	for _, m := range []struct{ group, user string }{
		{"devs", "carol"}, {"devs", "ALICE"}, {"devs", "eve"}, {"devs", "bob"}, {"ADMINS", "alice"}, {"ops", "Alice"},
		{"zeta", "alice"},
		// Adding a member twice, in any case, is not an error.
		{"devs", "alice"}, {"DEVS", "Carol"},
	} {
		wantNoErr(t, "AddUserToGroup("+m.group+", "+m.user+")", s.AddUserToGroup(ctx(t), registryID, m.group, m.user))
	}

	members, err := s.ListGroupMembers(ctx(t), registryID, "Devs")
	wantNoErr(t, "ListGroupMembers(devs)", err)
	// By name, without regard to case.
	wantStrings(t, "ListGroupMembers(devs)", userNames(members), []string{"Alice", "bob", "carol", "Eve"})
	if len(members) == 4 {
		wantUser(t, "ListGroupMembers(devs)[0]", members[0], users["Alice"])
	}
	gs, err := s.ListGroupsForUser(ctx(t), registryID, "alice")
	wantNoErr(t, "ListGroupsForUser(alice)", err)
	wantStrings(t, "ListGroupsForUser(alice)", groupNames(gs), []string{"Admins", "devs", "ops", "Zeta"})
	if len(gs) == 4 {
		wantGroup(t, "ListGroupsForUser(alice)[0]", gs[0], groups["Admins"])
	}
	gs, err = s.ListGroupsForUser(ctx(t), registryID, "dave")
	wantNoErr(t, "ListGroupsForUser of a user in no group", err)
	wantStrings(t, "ListGroupsForUser of a user in no group", groupNames(gs), nil)
	members, err = s.ListGroupMembers(ctx(t), registryID, "admins")
	wantNoErr(t, "ListGroupMembers(admins)", err)
	wantStrings(t, "ListGroupMembers(admins)", userNames(members), []string{"Alice"})

	wantNoErr(t, "RemoveUserFromGroup in another case", s.RemoveUserFromGroup(ctx(t), registryID, "DEVS", "ALICE"))
	err = s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice")
	wantErrIs(t, "RemoveUserFromGroup of a user no longer a member", err, meta.ErrNotFound)
	members, err = s.ListGroupMembers(ctx(t), registryID, "devs")
	wantNoErr(t, "ListGroupMembers(devs)", err)
	wantStrings(t, "ListGroupMembers(devs) after removing Alice", userNames(members), []string{"bob", "carol", "Eve"})
	gs, err = s.ListGroupsForUser(ctx(t), registryID, "Alice")
	wantNoErr(t, "ListGroupsForUser(Alice)", err)
	wantStrings(t, "ListGroupsForUser(Alice) after leaving devs", groupNames(gs), []string{"Admins", "ops", "Zeta"})

	// An empty group lists no members.
	mustGroup(t, s, registryID, "empty", "/")
	members, err = s.ListGroupMembers(ctx(t), registryID, "empty")
	wantNoErr(t, "ListGroupMembers of an empty group", err)
	wantStrings(t, "ListGroupMembers of an empty group", userNames(members), nil)
}

func testGroupMembershipNotFound(t *testing.T, s meta.Store) {
	mustUser(t, s, registryID, "alice", "/")
	mustGroup(t, s, registryID, "devs", "/")
	mustUser(t, s, otherRegistry, "bob", "/")
	mustGroup(t, s, otherRegistry, "ops", "/")
	for _, c := range []struct{ group, user string }{
		{"nogroup", "alice"}, {"devs", "nouser"}, {"ops", "alice"}, {"devs", "bob"},
	} {
		err := s.AddUserToGroup(ctx(t), registryID, c.group, c.user)
		wantErrIs(t, "AddUserToGroup("+c.group+", "+c.user+")", err, meta.ErrNotFound)
		err = s.RemoveUserFromGroup(ctx(t), registryID, c.group, c.user)
		wantErrIs(t, "RemoveUserFromGroup("+c.group+", "+c.user+")", err, meta.ErrNotFound)
	}
	err := s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice")
	wantErrIs(t, "RemoveUserFromGroup of a non-member", err, meta.ErrNotFound)
	_, err = s.ListGroupMembers(ctx(t), registryID, "ops")
	wantErrIs(t, "ListGroupMembers of another account's group", err, meta.ErrNotFound)
	_, err = s.ListGroupMembers(ctx(t), registryID, "nogroup")
	wantErrIs(t, "ListGroupMembers of no group", err, meta.ErrNotFound)
	_, err = s.ListGroupsForUser(ctx(t), registryID, "bob")
	wantErrIs(t, "ListGroupsForUser of another account's user", err, meta.ErrNotFound)
	_, err = s.ListGroupsForUser(ctx(t), registryID, "nouser")
	wantErrIs(t, "ListGroupsForUser of no user", err, meta.ErrNotFound)
	members, err := s.ListGroupMembers(ctx(t), registryID, "devs")
	wantNoErr(t, "ListGroupMembers(devs)", err)
	wantStrings(t, "ListGroupMembers(devs) after refused adds", userNames(members), nil)
}

func testDeleteGroupInUse(t *testing.T, s meta.Store) {
	err := s.DeleteGroup(ctx(t), registryID, "devs")
	wantErrIs(t, "DeleteGroup of no group", err, meta.ErrNotFound)
	mustUser(t, s, registryID, "alice", "/")
	mustGroup(t, s, registryID, "Devs", "/")
	arn := mustPolicy(t, s, registryID, "pol", "/", `{}`).ARN
	wantNoErr(t, "AddUserToGroup", s.AddUserToGroup(ctx(t), registryID, "devs", "alice"))
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindGroup, "devs", "inline", `{}`))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "devs", arn))

	steps := []struct {
		dependents string
		remove     func() error
	}{
		{"users", func() error { return s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice") }},
		{"policies", func() error { return s.DeleteInlinePolicy(ctx(t), registryID, meta.KindGroup, "devs", "inline") }},
		{"attached policies", func() error { return s.DetachPolicy(ctx(t), registryID, meta.KindGroup, "devs", arn) }},
	}
	for _, st := range steps {
		wantInUse(t, "DeleteGroup with "+st.dependents, s.DeleteGroup(ctx(t), registryID, "DEVS"), st.dependents)
		_, err := s.GetGroup(ctx(t), registryID, "devs")
		wantNoErr(t, "GetGroup after a refused DeleteGroup", err)
		wantNoErr(t, "removing the "+st.dependents, st.remove())
	}
	wantNoErr(t, "DeleteGroup once nothing depends on it", s.DeleteGroup(ctx(t), registryID, "devs"))
	_, err = s.GetGroup(ctx(t), registryID, "Devs")
	wantErrIs(t, "GetGroup of the deleted group", err, meta.ErrNotFound)
	gs, err := s.ListGroupsForUser(ctx(t), registryID, "alice")
	wantNoErr(t, "ListGroupsForUser", err)
	wantStrings(t, "ListGroupsForUser after deleting the group", groupNames(gs), nil)
}
