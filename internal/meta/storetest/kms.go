package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var kmsTests = []test{
	{"CreateAndGet", testKMSCreateAndGet},
	{"AliasTakenCreatesNothing", testKMSAliasTaken},
	{"List", testKMSList},
	{"Update", testKMSUpdate},
	{"Versions", testKMSVersions},
	{"Aliases", testKMSAliases},
}

func newKMSKey(account, id string) meta.KMSKey {
	return meta.KMSKey{AccountID: account, ID: id, Description: "key " + id, Manager: "CUSTOMER", State: "Enabled",
		RotationPeriodDays: 365, CreatedAt: base, RotatedAt: base, Versions: [][]byte{[]byte("sealed-1-" + id)}}
}

func testKMSCreateAndGet(t *testing.T, s meta.Store) {
	k := newKMSKey(registryID, "11111111-1111-4111-8111-111111111111")
	k.Tags = []meta.ResourceTag{{Key: "team", Value: "a"}}
	k.RotationEnabled, k.RotationPeriodDays = true, 90
	if err := s.CreateKMSKey(ctx(t), k, ""); err != nil {
		t.Fatalf("CreateKMSKey: %v", err)
	}
	got, err := s.GetKMSKey(ctx(t), registryID, k.ID)
	if err != nil {
		t.Fatalf("GetKMSKey: %v", err)
	}
	if got.Description != k.Description || got.Manager != "CUSTOMER" || got.State != "Enabled" || !got.RotationEnabled ||
		got.RotationPeriodDays != 90 || !got.CreatedAt.Equal(base) || !got.RotatedAt.Equal(base) || !slices.Equal(got.Tags, k.Tags) || len(got.Versions) != 1 || !bytes.Equal(got.Versions[0], k.Versions[0]) {
		t.Errorf("GetKMSKey = %+v, want %+v", got, k)
	}
	if _, err := s.GetKMSKey(ctx(t), otherRegistry, k.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("GetKMSKey in another account: %v, want ErrNotFound", err)
	}
	if err := s.CreateKMSKey(ctx(t), k, ""); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("CreateKMSKey of an existing id: %v, want ErrConflict", err)
	}
}

func testKMSAliasTaken(t *testing.T, s meta.Store) {
	a := newKMSKey(registryID, "aaaaaaaa-1111-4111-8111-111111111111")
	if err := s.CreateKMSKey(ctx(t), a, "alias/aws/ecr"); err != nil {
		t.Fatalf("CreateKMSKey: %v", err)
	}
	b := newKMSKey(registryID, "bbbbbbbb-1111-4111-8111-111111111111")
	if err := s.CreateKMSKey(ctx(t), b, "alias/aws/ecr"); !errors.Is(err, meta.ErrConflict) {
		t.Fatalf("CreateKMSKey with a taken alias: %v, want ErrConflict", err)
	}
	if _, err := s.GetKMSKey(ctx(t), registryID, b.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("the key of a refused create exists: %v", err)
	}
	if id, err := s.KMSAlias(ctx(t), registryID, "alias/aws/ecr"); err != nil || id != a.ID {
		t.Errorf("KMSAlias = %q, %v; want %s", id, err, a.ID)
	}
	// Another account has its own aliases.
	if err := s.CreateKMSKey(ctx(t), newKMSKey(otherRegistry, b.ID), "alias/aws/ecr"); err != nil {
		t.Errorf("CreateKMSKey of the same alias in another account: %v", err)
	}
}

func testKMSList(t *testing.T, s meta.Store) {
	ids := []string{"c", "a", "e", "b", "d"}
	for _, id := range ids {
		if err := s.CreateKMSKey(ctx(t), newKMSKey(registryID, id), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateKMSKey(ctx(t), newKMSKey(otherRegistry, "z"), ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for {
		page, err := s.ListKMSKeys(ctx(t), registryID, after, 2)
		if err != nil {
			t.Fatalf("ListKMSKeys: %v", err)
		}
		for _, k := range page {
			got = append(got, k.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("ListKMSKeys pages = %v, want %v", got, want)
	}
}

func testKMSUpdate(t *testing.T, s meta.Store) {
	k := newKMSKey(registryID, "k")
	if err := s.CreateKMSKey(ctx(t), k, ""); err != nil {
		t.Fatal(err)
	}
	k.State, k.RotationEnabled, k.Description, k.RotationPeriodDays = "Disabled", true, "changed", 400
	if err := s.UpdateKMSKey(ctx(t), k); err != nil {
		t.Fatalf("UpdateKMSKey: %v", err)
	}
	got, err := s.GetKMSKey(ctx(t), registryID, "k")
	if err != nil || got.State != "Disabled" || !got.RotationEnabled || got.Description != "changed" || got.RotationPeriodDays != 400 {
		t.Errorf("after UpdateKMSKey: %+v, %v", got, err)
	}
	if err := s.UpdateKMSKey(ctx(t), newKMSKey(registryID, "absent")); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("UpdateKMSKey of an absent key: %v, want ErrNotFound", err)
	}
}

func testKMSVersions(t *testing.T, s meta.Store) {
	if err := s.CreateKMSKey(ctx(t), newKMSKey(registryID, "k"), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AddKMSKeyVersion(ctx(t), registryID, "k", 2, []byte("v2"), base.Add(time.Hour)); err != nil {
		t.Fatalf("AddKMSKeyVersion 2: %v", err)
	}
	if err := s.AddKMSKeyVersion(ctx(t), registryID, "k", 2, []byte("v2 again"), base.Add(time.Hour)); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("AddKMSKeyVersion 2 twice: %v, want ErrConflict", err)
	}
	if err := s.AddKMSKeyVersion(ctx(t), registryID, "k", 4, []byte("v4"), base.Add(time.Hour)); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("AddKMSKeyVersion skipping 3: %v, want ErrConflict", err)
	}
	if err := s.AddKMSKeyVersion(ctx(t), registryID, "absent", 2, []byte("v2"), base.Add(time.Hour)); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("AddKMSKeyVersion of an absent key: %v, want ErrNotFound", err)
	}
	got, err := s.GetKMSKey(ctx(t), registryID, "k")
	if err != nil || len(got.Versions) != 2 || string(got.Versions[1]) != "v2" {
		t.Errorf("versions = %q, %v; want [sealed-1-k v2]", got.Versions, err)
	}
	if !got.RotatedAt.Equal(base.Add(time.Hour)) || !got.CreatedAt.Equal(base) {
		t.Errorf("after a new version: created %s, rotated %s; want %s, %s", got.CreatedAt, got.RotatedAt, base, base.Add(time.Hour))
	}
}

func testKMSAliases(t *testing.T, s meta.Store) {
	if err := s.CreateKMSKey(ctx(t), newKMSKey(registryID, "k"), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKMSAlias(ctx(t), registryID, "alias/app", "k"); err != nil {
		t.Fatalf("CreateKMSAlias: %v", err)
	}
	if err := s.CreateKMSAlias(ctx(t), registryID, "alias/app", "k"); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("CreateKMSAlias twice: %v, want ErrConflict", err)
	}
	if err := s.CreateKMSAlias(ctx(t), registryID, "alias/none", "absent"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("CreateKMSAlias of an absent key: %v, want ErrNotFound", err)
	}
	if _, err := s.KMSAlias(ctx(t), registryID, "alias/none"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("KMSAlias of an absent alias: %v, want ErrNotFound", err)
	}
	if _, err := s.KMSAlias(ctx(t), otherRegistry, "alias/app"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("KMSAlias in another account: %v, want ErrNotFound", err)
	}
}
