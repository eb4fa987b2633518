package storetest

import (
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var managedPolicyTests = []test{
	{"CreateAndGetPolicy", testCreateAndGetPolicy},
	{"CreatePolicyDuplicateName", testCreatePolicyDuplicateName},
	{"ListPolicies", testListPolicies},
	{"ListPoliciesOnlyAttached", testListPoliciesOnlyAttached},
	{"PolicyVersions", testPolicyVersions},
	{"PolicyVersionsLimit", testPolicyVersionsLimit},
	{"PolicyVersionsNotFound", testPolicyVersionsNotFound},
	{"DeletePolicy", testDeletePolicy},
}

// customerARN is the ARN of a customer managed policy.
func customerARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// mustPolicy creates a customer managed policy with document as v1.
func mustPolicy(t *testing.T, s meta.Store, account, name, path, document string) meta.ManagedPolicy {
	t.Helper()
	created := base.Add(time.Duration(len(name)) * time.Minute)
	p := meta.ManagedPolicy{ARN: customerARN(account, path, name), AccountID: account, Name: name,
		ID: iamID("ANPA", account+"/policy/"+name), Path: path, Description: "policy " + name,
		DefaultVersion: "v1", CreatedAt: created, UpdatedAt: created}
	if err := s.CreatePolicy(ctx(t), p, document); err != nil {
		t.Fatalf("CreatePolicy(%s): %v", p.ARN, err)
	}
	return p
}

// wantPolicy compares every field of a managed policy.
func wantPolicy(t *testing.T, what string, got, want meta.ManagedPolicy) {
	t.Helper()
	if got.ARN != want.ARN || got.AccountID != want.AccountID || got.Name != want.Name || got.ID != want.ID ||
		got.Path != want.Path || got.Description != want.Description || got.DefaultVersion != want.DefaultVersion ||
		got.AttachmentCount != want.AttachmentCount {
		t.Errorf("%s = %+v,\nwant %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, what+".UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

// wantVersion compares every field of a policy version.
func wantVersion(t *testing.T, what string, got, want meta.PolicyVersion) {
	t.Helper()
	if got.VersionID != want.VersionID || got.Document != want.Document || got.IsDefault != want.IsDefault {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func policyNames(ps []meta.ManagedPolicy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func versionIDs(vs []meta.PolicyVersion) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.VersionID
		if v.IsDefault {
			out[i] += "*"
		}
	}
	return out
}

func testCreateAndGetPolicy(t *testing.T, s meta.Store) {
	p := meta.ManagedPolicy{ARN: customerARN(registryID, "/team/", "Pull"), AccountID: registryID, Name: "Pull",
		ID: "ANPAEXAMPLEPULL00001", Path: "/team/", Description: "pull from ECR", DefaultVersion: "v1",
		CreatedAt: base.Add(1500 * time.Microsecond), UpdatedAt: base.Add(1500 * time.Microsecond)}
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`
	wantNoErr(t, "CreatePolicy", s.CreatePolicy(ctx(t), p, doc))
	got, err := s.GetPolicy(ctx(t), p.ARN)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy", got, p)
	v, err := s.GetPolicyVersion(ctx(t), p.ARN, "v1")
	wantNoErr(t, "GetPolicyVersion(v1)", err)
	wantVersion(t, "GetPolicyVersion(v1)", v, meta.PolicyVersion{VersionID: "v1", Document: doc, IsDefault: true,
		CreatedAt: p.CreatedAt})
	vs, err := s.ListPolicyVersions(ctx(t), p.ARN)
	wantNoErr(t, "ListPolicyVersions", err)
	wantStrings(t, "ListPolicyVersions of a new policy", versionIDs(vs), []string{"v1*"})

	for _, arn := range []string{customerARN(registryID, "/", "Pull"), customerARN(otherRegistry, "/team/", "Pull"),
		customerARN(registryID, "/team/", "Pul"), "arn:aws:iam::aws:policy/Pull", ""} {
		_, err := s.GetPolicy(ctx(t), arn)
		wantErrIs(t, "GetPolicy("+arn+")", err, meta.ErrNotFound)
	}
}

func testCreatePolicyDuplicateName(t *testing.T, s meta.Store) {
	first := mustPolicy(t, s, registryID, "Pull", "/", "first")
	for _, c := range []struct{ name, path string }{{"Pull", "/"}, {"pull", "/"}, {"PULL", "/other/"}} {
		p := meta.ManagedPolicy{ARN: customerARN(registryID, c.path, c.name), AccountID: registryID, Name: c.name,
			ID: iamID("ANPA", "dup "+c.name+c.path), Path: c.path, CreatedAt: base, UpdatedAt: base}
		err := s.CreatePolicy(ctx(t), p, "second")
		wantErrIs(t, "CreatePolicy("+p.ARN+") over Pull", err, meta.ErrConflict)
		if p.ARN != first.ARN {
			_, err = s.GetPolicy(ctx(t), p.ARN)
			wantErrIs(t, "GetPolicy of a refused duplicate", err, meta.ErrNotFound)
		}
	}
	got, err := s.GetPolicy(ctx(t), first.ARN)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after refused duplicates", got, first)
	v, err := s.GetPolicyVersion(ctx(t), first.ARN, "v1")
	wantNoErr(t, "GetPolicyVersion", err)
	if v.Document != "first" {
		t.Errorf("v1 after refused duplicates = %q, want first", v.Document)
	}
	// Another account may use the name.
	mustPolicy(t, s, otherRegistry, "pull", "/", "theirs")
}

func testListPolicies(t *testing.T, s meta.Store) {
	got, err := s.ListPolicies(ctx(t), registryID, "", false, "", 100)
	wantNoErr(t, "ListPolicies of no policies", err)
	wantStrings(t, "ListPolicies of no policies", policyNames(got), nil)
	pols := map[string]meta.ManagedPolicy{}
	for _, c := range []struct{ name, path string }{
		{"b", "/"}, {"A", "/eng/"}, {"c", "/eng/x/"}, {"D", "/ops/"}, {"e", "/"},
	} {
		pols[c.name] = mustPolicy(t, s, registryID, c.name, c.path, "{}")
	}
	mustPolicy(t, s, otherRegistry, "a0", "/", "{}")
	all := []string{"A", "b", "c", "D", "e"}
	got, err = s.ListPolicies(ctx(t), registryID, "/", false, "", 100)
	wantNoErr(t, "ListPolicies", err)
	wantStrings(t, "ListPolicies", policyNames(got), all)
	if len(got) == len(all) {
		wantPolicy(t, "ListPolicies[0]", got[0], pols["A"])
	}
	names := namesPaged(t, "ListPolicies", 2, func(after string) ([]string, error) {
		ps, err := s.ListPolicies(ctx(t), registryID, "", false, after, 2)
		return policyNames(ps), err
	})
	wantStrings(t, "ListPolicies in pages of 2", names, all)
	for _, c := range []struct {
		prefix, after string
		want          []string
	}{
		{"/eng/", "", []string{"A", "c"}},
		{"/eng/", "a", []string{"c"}},
		{"/eng/x", "", []string{"c"}},
		{"/ENG/", "", nil},
		{"", "C", []string{"D", "e"}},
	} {
		got, err := s.ListPolicies(ctx(t), registryID, c.prefix, false, c.after, 100)
		wantNoErr(t, "ListPolicies under "+c.prefix+" after "+c.after, err)
		wantStrings(t, "ListPolicies under "+c.prefix+" after "+c.after, policyNames(got), c.want)
	}
}

func testListPoliciesOnlyAttached(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	for _, name := range []string{"a", "b", "c", "d"} {
		mustPolicy(t, s, registryID, name, "/", "{}")
	}
	arn := func(name string) string { return customerARN(registryID, "/", name) }
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindUser, "alice", arn("b")))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "devs", arn("b")))
	mustUser(t, s, registryID, "bob", "/")
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindUser, "bob", arn("b")))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", arn("d")))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", arn("c")))
	wantNoErr(t, "DetachPolicy", s.DetachPolicy(ctx(t), registryID, meta.KindRole, "deployer", arn("c")))

	got, err := s.ListPolicies(ctx(t), registryID, "", true, "", 100)
	wantNoErr(t, "ListPolicies only attached", err)
	wantStrings(t, "ListPolicies only attached", policyNames(got), []string{"b", "d"})
	counts := map[string]int{}
	for _, p := range got {
		counts[p.Name] = p.AttachmentCount
	}
	if counts["b"] != 3 || counts["d"] != 1 {
		t.Errorf("ListPolicies AttachmentCount = %v, want b:3 d:1", counts)
	}
	got, err = s.ListPolicies(ctx(t), registryID, "", true, "b", 1)
	wantNoErr(t, "ListPolicies only attached after b", err)
	wantStrings(t, "ListPolicies only attached after b", policyNames(got), []string{"d"})
	got, err = s.ListPolicies(ctx(t), registryID, "", false, "", 100)
	wantNoErr(t, "ListPolicies", err)
	wantStrings(t, "ListPolicies of all", policyNames(got), []string{"a", "b", "c", "d"})
}

func testPolicyVersions(t *testing.T, s meta.Store) {
	p := mustPolicy(t, s, registryID, "pol", "/", "doc 1")
	arn := p.ARN
	t1, t2, t3 := base.Add(24*time.Hour), base.Add(48*time.Hour), base.Add(72*time.Hour)

	v2, err := s.CreatePolicyVersion(ctx(t), arn, "doc 2", false, t1)
	wantNoErr(t, "CreatePolicyVersion(v2)", err)
	wantVersion(t, "CreatePolicyVersion(v2)", v2, meta.PolicyVersion{VersionID: "v2", Document: "doc 2", CreatedAt: t1})
	got, err := s.GetPolicy(ctx(t), arn)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after a version that is not the default", got, p)

	v3, err := s.CreatePolicyVersion(ctx(t), arn, "doc 3", true, t2)
	wantNoErr(t, "CreatePolicyVersion(v3, default)", err)
	wantVersion(t, "CreatePolicyVersion(v3, default)", v3, meta.PolicyVersion{VersionID: "v3", Document: "doc 3",
		IsDefault: true, CreatedAt: t2})
	p.DefaultVersion, p.UpdatedAt = "v3", t2
	got, err = s.GetPolicy(ctx(t), arn)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after a new default version", got, p)

	vs, err := s.ListPolicyVersions(ctx(t), arn)
	wantNoErr(t, "ListPolicyVersions", err)
	wantStrings(t, "ListPolicyVersions (newest first, * default)", versionIDs(vs), []string{"v3*", "v2", "v1"})
	if len(vs) == 3 {
		wantVersion(t, "ListPolicyVersions[1]", vs[1], v2)
		wantVersion(t, "ListPolicyVersions[2]", vs[2], meta.PolicyVersion{VersionID: "v1", Document: "doc 1",
			CreatedAt: p.CreatedAt})
	}
	v1, err := s.GetPolicyVersion(ctx(t), arn, "v1")
	wantNoErr(t, "GetPolicyVersion(v1)", err)
	if v1.IsDefault || v1.Document != "doc 1" {
		t.Errorf("GetPolicyVersion(v1) = %+v, want doc 1, not the default", v1)
	}

	// The default version may not be deleted; another may, and its id is not reused.
	wantInUse(t, "DeletePolicyVersion of the default", s.DeletePolicyVersion(ctx(t), arn, "v3"), "default version")
	wantNoErr(t, "DeletePolicyVersion(v2)", s.DeletePolicyVersion(ctx(t), arn, "v2"))
	_, err = s.GetPolicyVersion(ctx(t), arn, "v2")
	wantErrIs(t, "GetPolicyVersion of a deleted version", err, meta.ErrNotFound)
	err = s.DeletePolicyVersion(ctx(t), arn, "v2")
	wantErrIs(t, "DeletePolicyVersion twice", err, meta.ErrNotFound)
	v4, err := s.CreatePolicyVersion(ctx(t), arn, "doc 4", false, t3)
	wantNoErr(t, "CreatePolicyVersion after deleting v2", err)
	if v4.VersionID != "v4" {
		t.Errorf("CreatePolicyVersion after deleting v2 made %s, want v4", v4.VersionID)
	}
	// Deleting the newest version does not free its id either.
	wantNoErr(t, "DeletePolicyVersion(v4)", s.DeletePolicyVersion(ctx(t), arn, "v4"))
	v5, err := s.CreatePolicyVersion(ctx(t), arn, "doc 5", false, t3)
	wantNoErr(t, "CreatePolicyVersion after deleting v4", err)
	if v5.VersionID != "v5" {
		t.Errorf("CreatePolicyVersion after deleting v4 made %s, want v5", v5.VersionID)
	}

	wantNoErr(t, "SetDefaultPolicyVersion(v1)", s.SetDefaultPolicyVersion(ctx(t), arn, "v1", t3))
	p.DefaultVersion, p.UpdatedAt = "v1", t3
	got, err = s.GetPolicy(ctx(t), arn)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after SetDefaultPolicyVersion(v1)", got, p)
	vs, err = s.ListPolicyVersions(ctx(t), arn)
	wantNoErr(t, "ListPolicyVersions", err)
	wantStrings(t, "ListPolicyVersions after SetDefaultPolicyVersion(v1)", versionIDs(vs), []string{"v5", "v3", "v1*"})
	wantNoErr(t, "DeletePolicyVersion of the former default", s.DeletePolicyVersion(ctx(t), arn, "v3"))
	wantInUse(t, "DeletePolicyVersion(v1) once the default", s.DeletePolicyVersion(ctx(t), arn, "v1"), "default version")

	err = s.SetDefaultPolicyVersion(ctx(t), arn, "v2", base.Add(99*time.Hour))
	wantErrIs(t, "SetDefaultPolicyVersion of a deleted version", err, meta.ErrNotFound)
	got, err = s.GetPolicy(ctx(t), arn)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after a refused SetDefaultPolicyVersion", got, p)
}

func testPolicyVersionsLimit(t *testing.T, s meta.Store) {
	p := mustPolicy(t, s, registryID, "pol", "/", "doc 1")
	for i := 2; i <= 5; i++ {
		v, err := s.CreatePolicyVersion(ctx(t), p.ARN, "doc "+itoa(i), i == 4, base)
		wantNoErr(t, "CreatePolicyVersion #"+itoa(i), err)
		if v.VersionID != "v"+itoa(i) {
			t.Errorf("CreatePolicyVersion #%d made %s, want v%d", i, v.VersionID, i)
		}
	}
	for _, setDefault := range []bool{false, true} {
		_, err := s.CreatePolicyVersion(ctx(t), p.ARN, "doc 6", setDefault, base.Add(time.Hour))
		wantErrIs(t, "CreatePolicyVersion of a sixth version", err, meta.ErrLimitExceeded)
	}
	vs, err := s.ListPolicyVersions(ctx(t), p.ARN)
	wantNoErr(t, "ListPolicyVersions", err)
	wantStrings(t, "ListPolicyVersions after refused sixth versions", versionIDs(vs), []string{"v5", "v4*", "v3", "v2", "v1"})
	got, err := s.GetPolicy(ctx(t), p.ARN)
	wantNoErr(t, "GetPolicy", err)
	if got.DefaultVersion != "v4" {
		t.Errorf("DefaultVersion after a refused default sixth version = %s, want v4", got.DefaultVersion)
	}
	// Deleting one makes room; the new one's id is v6, not one reused.
	wantNoErr(t, "DeletePolicyVersion(v2)", s.DeletePolicyVersion(ctx(t), p.ARN, "v2"))
	v, err := s.CreatePolicyVersion(ctx(t), p.ARN, "doc 6", true, base.Add(time.Hour))
	wantNoErr(t, "CreatePolicyVersion after deleting one", err)
	if v.VersionID != "v6" || !v.IsDefault {
		t.Errorf("CreatePolicyVersion after deleting one = %+v, want v6, the default", v)
	}
	_, err = s.CreatePolicyVersion(ctx(t), p.ARN, "doc 7", false, base.Add(time.Hour))
	wantErrIs(t, "CreatePolicyVersion of a sixth version again", err, meta.ErrLimitExceeded)
	// The limit is per policy.
	other := mustPolicy(t, s, registryID, "other", "/", "doc 1")
	_, err = s.CreatePolicyVersion(ctx(t), other.ARN, "doc 2", false, base)
	wantNoErr(t, "CreatePolicyVersion of another policy", err)
}

func testPolicyVersionsNotFound(t *testing.T, s meta.Store) {
	p := mustPolicy(t, s, registryID, "pol", "/", "doc 1")
	missing := customerARN(registryID, "/", "missing")
	_, err := s.CreatePolicyVersion(ctx(t), missing, "doc", true, base)
	wantErrIs(t, "CreatePolicyVersion of no policy", err, meta.ErrNotFound)
	_, err = s.ListPolicyVersions(ctx(t), missing)
	wantErrIs(t, "ListPolicyVersions of no policy", err, meta.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx(t), missing, "v1")
	wantErrIs(t, "GetPolicyVersion of no policy", err, meta.ErrNotFound)
	err = s.DeletePolicyVersion(ctx(t), missing, "v1")
	wantErrIs(t, "DeletePolicyVersion of no policy", err, meta.ErrNotFound)
	err = s.SetDefaultPolicyVersion(ctx(t), missing, "v1", base)
	wantErrIs(t, "SetDefaultPolicyVersion of no policy", err, meta.ErrNotFound)
	for _, id := range []string{"v2", "V1", "v01", "1", "", "v", "v0", "v-1", "v1 "} {
		_, err := s.GetPolicyVersion(ctx(t), p.ARN, id)
		wantErrIs(t, "GetPolicyVersion("+id+")", err, meta.ErrNotFound)
		err = s.SetDefaultPolicyVersion(ctx(t), p.ARN, id, base.Add(time.Hour))
		wantErrIs(t, "SetDefaultPolicyVersion("+id+")", err, meta.ErrNotFound)
		err = s.DeletePolicyVersion(ctx(t), p.ARN, id)
		wantErrIs(t, "DeletePolicyVersion("+id+")", err, meta.ErrNotFound)
	}
	got, err := s.GetPolicy(ctx(t), p.ARN)
	wantNoErr(t, "GetPolicy", err)
	wantPolicy(t, "GetPolicy after refused version changes", got, p)
}

func testDeletePolicy(t *testing.T, s meta.Store) {
	mustOwners(t, s, registryID)
	missing := customerARN(registryID, "/", "missing")
	wantErrIs(t, "DeletePolicy of no policy", s.DeletePolicy(ctx(t), missing), meta.ErrNotFound)
	p := mustPolicy(t, s, registryID, "pol", "/", "doc 1")
	_, err := s.CreatePolicyVersion(ctx(t), p.ARN, "doc 2", true, base)
	wantNoErr(t, "CreatePolicyVersion", err)
	_, err = s.CreatePolicyVersion(ctx(t), p.ARN, "doc 3", false, base)
	wantNoErr(t, "CreatePolicyVersion", err)
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", p.ARN))

	// Attachments first, then the versions besides the default (v1 and v3; v2 is).
	steps := []struct {
		dependents string
		remove     func() error
	}{
		{"attachments", func() error { return s.DetachPolicy(ctx(t), registryID, meta.KindRole, "deployer", p.ARN) }},
		{"versions", func() error { return s.DeletePolicyVersion(ctx(t), p.ARN, "v1") }},
		{"versions", func() error { return s.DeletePolicyVersion(ctx(t), p.ARN, "v3") }},
	}
	for _, st := range steps {
		wantInUse(t, "DeletePolicy with "+st.dependents, s.DeletePolicy(ctx(t), p.ARN), st.dependents)
		_, err := s.GetPolicy(ctx(t), p.ARN)
		wantNoErr(t, "GetPolicy after a refused DeletePolicy", err)
		wantNoErr(t, "removing the "+st.dependents, st.remove())
	}
	wantNoErr(t, "DeletePolicy with only its default version", s.DeletePolicy(ctx(t), p.ARN))
	_, err = s.GetPolicy(ctx(t), p.ARN)
	wantErrIs(t, "GetPolicy of a deleted policy", err, meta.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx(t), p.ARN, "v2")
	wantErrIs(t, "GetPolicyVersion of a deleted policy's default version", err, meta.ErrNotFound)
	_, err = s.ListPolicyVersions(ctx(t), p.ARN)
	wantErrIs(t, "ListPolicyVersions of a deleted policy", err, meta.ErrNotFound)
	wantErrIs(t, "DeletePolicy twice", s.DeletePolicy(ctx(t), p.ARN), meta.ErrNotFound)
	err = s.AttachPolicy(ctx(t), registryID, meta.KindUser, "alice", p.ARN)
	wantErrIs(t, "AttachPolicy of a deleted policy", err, meta.ErrNotFound)

	// The name and the ARN are free again: the new policy starts at v1.
	again := mustPolicy(t, s, registryID, "pol", "/", "new doc")
	vs, err := s.ListPolicyVersions(ctx(t), again.ARN)
	wantNoErr(t, "ListPolicyVersions of the recreated policy", err)
	wantStrings(t, "ListPolicyVersions of the recreated policy", versionIDs(vs), []string{"v1*"})
	v, err := s.CreatePolicyVersion(ctx(t), again.ARN, "new doc 2", false, base)
	wantNoErr(t, "CreatePolicyVersion of the recreated policy", err)
	if v.VersionID != "v2" {
		t.Errorf("CreatePolicyVersion of the recreated policy made %s, want v2 (a new policy counts anew)", v.VersionID)
	}
}
