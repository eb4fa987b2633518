package e2e

// berth's key service with the real aws CLI (aws kms …), and ECR repositories encrypted with its
// keys: the key an ECR repository names, the AWS managed key aws/ecr, KmsException, and that the
// bytes berth stores are ciphertext.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKMSCLI(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	acct := s.AccountID
	keyARN := func(id string) string { return "arn:aws:kms:" + Region + ":" + acct + ":key/" + id }

	created := cli.do(t, "kms", "create-key", "--description", "app key", "--tags", "TagKey=team,TagValue=platform")
	id, _ := at(created, "KeyMetadata.KeyId").(string)
	wantAt(t, "create-key", created, map[string]any{
		"KeyMetadata.Arn": keyARN(id), "KeyMetadata.AWSAccountId": acct, "KeyMetadata.Description": "app key",
		"KeyMetadata.KeyState": "Enabled", "KeyMetadata.Enabled": true, "KeyMetadata.KeyManager": "CUSTOMER",
		"KeyMetadata.KeySpec": "SYMMETRIC_DEFAULT", "KeyMetadata.KeyUsage": "ENCRYPT_DECRYPT",
	})

	t.Run("describe-key by id, ARN and alias", func(t *testing.T) {
		cli.do(t, "kms", "create-alias", "--alias-name", "alias/app", "--target-key-id", id)
		for _, ref := range []string{id, keyARN(id), "alias/app", "arn:aws:kms:" + Region + ":" + acct + ":alias/app"} {
			wantAt(t, "describe-key "+ref, cli.do(t, "kms", "describe-key", "--key-id", ref),
				map[string]any{"KeyMetadata.KeyId": id, "KeyMetadata.Arn": keyARN(id)})
		}
		cli.refuseWith(t, "NotFoundException", "DescribeKey",
			"Key '"+keyARN("00000000-0000-4000-8000-000000000000")+"' does not exist",
			"kms", "describe-key", "--key-id", "00000000-0000-4000-8000-000000000000")
		cli.refuseWith(t, "AlreadyExistsException", "CreateAlias",
			"An alias with the name arn:aws:kms:"+Region+":"+acct+":alias/app already exists",
			"kms", "create-alias", "--alias-name", "alias/app", "--target-key-id", id)
	})

	t.Run("list-keys pages", func(t *testing.T) {
		cli.do(t, "kms", "create-key")
		page := cli.do(t, "kms", "list-keys", "--no-paginate", "--limit", "1")
		wantAt(t, "list-keys --limit 1", page, map[string]any{"Truncated": true})
		marker, _ := page["NextMarker"].(string)
		if marker == "" || len(page["Keys"].([]any)) != 1 {
			t.Fatalf("first page %v: want one key and a NextMarker", page)
		}
		next := cli.do(t, "kms", "list-keys", "--no-paginate", "--limit", "10", "--marker", marker)
		if n := len(next["Keys"].([]any)); n != 1 || next["Truncated"] != false {
			t.Errorf("second page %v: want the other key, not truncated", next)
		}
		all := cli.do(t, "kms", "list-keys")
		if n := len(all["Keys"].([]any)); n != 2 {
			t.Errorf("list-keys: %d keys, want 2: %v", n, all)
		}
	})

	t.Run("encrypt, decrypt, data keys and rotation", func(t *testing.T) {
		dir := t.TempDir()
		plain := filepath.Join(dir, "plain")
		writeFile(t, plain, []byte("top secret"))
		enc := cli.do(t, "kms", "encrypt", "--key-id", "alias/app", "--plaintext", "fileb://"+plain,
			"--encryption-context", "purpose=e2e")
		wantAt(t, "encrypt", enc, map[string]any{"KeyId": keyARN(id), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
		blobFile := filepath.Join(dir, "blob")
		ct, err := base64.StdEncoding.DecodeString(enc["CiphertextBlob"].(string))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, blobFile, ct)

		cli.do(t, "kms", "enable-key-rotation", "--key-id", id)
		wantAt(t, "get-key-rotation-status", cli.do(t, "kms", "get-key-rotation-status", "--key-id", id),
			map[string]any{"KeyRotationEnabled": true})
		cli.do(t, "kms", "rotate-key-on-demand", "--key-id", id)

		dec := cli.do(t, "kms", "decrypt", "--ciphertext-blob", "fileb://"+blobFile, "--encryption-context", "purpose=e2e")
		got, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dec["Plaintext"]))
		if string(got) != "top secret" || dec["KeyId"] != keyARN(id) {
			t.Errorf("decrypt after rotation = %q by %v, want %q by %s", got, dec["KeyId"], "top secret", keyARN(id))
		}
		r := cli.run(t, "kms", "decrypt", "--ciphertext-blob", "fileb://"+blobFile, "--encryption-context", "purpose=other")
		if r.err == nil || !strings.Contains(r.stderr, "(InvalidCiphertextException)") {
			t.Errorf("decrypt with another encryption context: want InvalidCiphertextException\n%s", r)
		}

		dk := cli.do(t, "kms", "generate-data-key", "--key-id", id, "--key-spec", "AES_256")
		if p, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dk["Plaintext"])); len(p) != 32 {
			t.Errorf("generate-data-key AES_256: %d bytes of plaintext, want 32", len(p))
		}
		dk = cli.do(t, "kms", "generate-data-key", "--key-id", id, "--number-of-bytes", "7")
		if p, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dk["Plaintext"])); len(p) != 7 {
			t.Errorf("generate-data-key --number-of-bytes 7: %d bytes", len(p))
		}
		cli.refuseWith(t, "ValidationException", "GenerateDataKey", "Please specify either number of bytes or key spec.",
			"kms", "generate-data-key", "--key-id", id, "--number-of-bytes", "7", "--key-spec", "AES_256")
	})

	t.Run("authorization", func(t *testing.T) {
		nobody := newIAMUser(t, s, rootOf(s), "kms-nobody", map[string]string{"ecr": allowAll("ecr:*")})
		cliAs(t, s, nobody).refuseWith(t, "AccessDeniedException", "CreateKey",
			"User: "+nobody.ARN+" is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action",
			"kms", "create-key")
		cliAs(t, s, nobody).refuseWith(t, "AccessDeniedException", "DescribeKey",
			"User: "+nobody.ARN+" is not authorized to perform: kms:DescribeKey on resource: "+keyARN(id)+" because no identity-based policy allows the kms:DescribeKey action",
			"kms", "describe-key", "--key-id", id)
		admin := newIAMUser(t, s, rootOf(s), "kms-admin", nil, awsPolicyPrefix+"AdministratorAccess")
		cliAs(t, s, admin).do(t, "kms", "describe-key", "--key-id", id)

		// ECR uses a customer managed key as its creator: kms:DescribeKey and kms:CreateGrant.
		msg := cliAs(t, s, nobody).fails(t, "KmsException", "CreateRepository", "create-repository",
			"--repository-name", "kms/denied", "--encryption-configuration", "encryptionType=KMS,kmsKey="+id)
		if !strings.Contains(msg, "is not authorized to perform: kms:DescribeKey on resource: "+keyARN(id)) || !strings.Contains(msg, "AccessDeniedException") {
			t.Errorf("CreateRepository with a key the caller may not use: message %q", msg)
		}
		user := newIAMUser(t, s, rootOf(s), "kms-user", map[string]string{
			"ecr": allowAll("ecr:*"), "key": policyDoc(stmt("Allow", []string{"kms:DescribeKey", "kms:CreateGrant"}, keyARN(id)))})
		out := cliAs(t, s, user).obj(t, "create-repository", "--repository-name", "kms/allowed",
			"--encryption-configuration", "encryptionType=KMS,kmsKey=alias/app")
		if got := at(out, "repository.encryptionConfiguration.kmsKey"); got != keyARN(id) {
			t.Errorf("CreateRepository by a user allowed the key: kmsKey %v", got)
		}
	})

	t.Run("ECR repositories with KMS keys", func(t *testing.T) {
		kmsKey := func(out map[string]any) string {
			return fmt.Sprint(at(out, "repository.encryptionConfiguration.kmsKey"))
		}
		for name, ref := range map[string]string{"kms/by-id": id, "kms/by-arn": keyARN(id), "kms/by-alias": "alias/app",
			"kms/by-alias-arn": "arn:aws:kms:" + Region + ":" + acct + ":alias/app"} {
			out := cli.obj(t, "create-repository", "--repository-name", name,
				"--encryption-configuration", "encryptionType=KMS,kmsKey="+ref)
			if got := kmsKey(out); got != keyARN(id) {
				t.Errorf("kmsKey=%s: the repository shows %s, want the key's ARN %s", ref, got, keyARN(id))
			}
		}
		out := cli.obj(t, "create-repository", "--repository-name", "kms/managed", "--encryption-configuration", "encryptionType=KMS")
		managed := cli.do(t, "kms", "describe-key", "--key-id", "alias/aws/ecr")
		wantAt(t, "describe-key alias/aws/ecr", managed, map[string]any{"KeyMetadata.KeyManager": "AWS"})
		if got, want := kmsKey(out), at(managed, "KeyMetadata.Arn"); got != want {
			t.Errorf("KMS without a key: the repository shows %s, want the aws/ecr key %v", got, want)
		}
		dsse := cli.obj(t, "create-repository", "--repository-name", "kms/dsse", "--encryption-configuration", "encryptionType=KMS_DSSE,kmsKey=alias/app")
		if at(dsse, "repository.encryptionConfiguration.encryptionType") != "KMS_DSSE" || kmsKey(dsse) != keyARN(id) {
			t.Errorf("KMS_DSSE: %v", dsse)
		}

		missing := keyARN("00000000-0000-4000-8000-000000000000")
		msg := cli.fails(t, "KmsException", "CreateRepository", "create-repository", "--repository-name", "kms/missing",
			"--encryption-configuration", "encryptionType=KMS,kmsKey="+missing)
		if !strings.Contains(msg, "does not exist") || !strings.Contains(msg, "NotFoundException") {
			t.Errorf("unknown key: message %q", msg)
		}
		disabled := at(cli.do(t, "kms", "create-key"), "KeyMetadata.KeyId").(string)
		cli.do(t, "kms", "disable-key", "--key-id", disabled)
		msg = cli.fails(t, "KmsException", "CreateRepository", "create-repository", "--repository-name", "kms/disabled",
			"--encryption-configuration", "encryptionType=KMS,kmsKey="+disabled)
		if !strings.Contains(msg, "DisabledException") {
			t.Errorf("disabled key: message %q", msg)
		}
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "p"), []byte("x"))
		cli.refuseWith(t, "DisabledException", "Encrypt", keyARN(disabled)+" is disabled.",
			"kms", "encrypt", "--key-id", disabled, "--plaintext", "fileb://"+filepath.Join(dir, "p"))
	})

	t.Run("stored bytes are ciphertext; mounts only under one key", func(t *testing.T) {
		reg := newRegistry(s.Addr, s.Credentials(t))
		marker := "BERTH-E2E-PLAINTEXT-" + randomHex(8)
		layer := bytes.Repeat([]byte(marker+" "), 2000)
		// kms/by-alias was created above with kmsKey=alias/app; the AES256 one is new.
		cli.obj(t, "create-repository", "--repository-name", "plain/aes")
		for _, repo := range []string{"kms/by-alias", "plain/aes"} {
			img := &image{Layer: layer, LayerDigest: sha256Digest(layer), Config: []byte(`{"architecture":"amd64","os":"linux","marker":"` + marker + `"}`)}
			img.ConfigDigest = sha256Digest(img.Config)
			img.Manifest = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d,"annotations":{"marker":%q}}]}`,
				mtOCIManifest, mtOCIConfig, img.ConfigDigest, len(img.Config), mtOCILayerGzip, img.LayerDigest, len(layer), marker))
			reg.pushImage(t, repo, "v1", img)
			if got := reg.getBlob(t, repo, img.LayerDigest); !bytes.Equal(got, layer) {
				t.Errorf("%s: the layer pulled back differs", repo)
			}
			m, _, _ := reg.getManifest(t, repo, "v1")
			if !bytes.Equal(m, img.Manifest) {
				t.Errorf("%s: the manifest pulled back differs", repo)
			}
		}
		// A disabled key stops pulls of its repositories at once (ECR: KmsError), and of nothing else.
		cli.do(t, "kms", "disable-key", "--key-id", id)
		layerDigest := sha256Digest(layer)
		for _, path := range []string{"/v2/kms/by-alias/blobs/" + layerDigest, "/v2/kms/by-alias/manifests/v1"} {
			req, _ := http.NewRequest(http.MethodGet, reg.url("%s", path), nil)
			req.Header.Set("Accept", mtOCIManifest)
			if resp, body := reg.do(t, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s with the key disabled: %s, want 403", path, httpErr(resp, body))
			}
		}
		req, _ := http.NewRequest(http.MethodPost, reg.url("/v2/kms/by-alias/blobs/uploads/"), nil)
		if resp, body := reg.do(t, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("starting an upload with the key disabled: %s, want 403", httpErr(resp, body))
		}
		cli.fails(t, "KmsException", "InitiateLayerUpload", "initiate-layer-upload", "--repository-name", "kms/by-alias")
		got := cli.obj(t, "batch-get-image", "--repository-name", "kms/by-alias", "--image-ids", "imageTag=v1")
		if fmt.Sprint(at(got, "failures.0.failureCode")) != "KmsError" {
			t.Errorf("batch-get-image with the key disabled: %v, want the failure KmsError", got)
		}
		if got := reg.getBlob(t, "plain/aes", layerDigest); !bytes.Equal(got, layer) {
			t.Errorf("the AES256 repository's copy of the layer is not served while the KMS key is disabled")
		}
		cli.do(t, "kms", "enable-key", "--key-id", id)
		if got := reg.getBlob(t, "kms/by-alias", layerDigest); !bytes.Equal(got, layer) {
			t.Errorf("the layer is not served again after enable-key")
		}

		// (The marker is in a layer's annotations: a manifest's own annotations are metadata columns,
		// stored as they are, like its media type and subject.)
		if files := filesContaining(t, s.DataDir, []byte(marker)); len(files) > 0 {
			t.Errorf("the data directory holds the plaintext marker in %v", files)
		}

		// A mount from a repository under another key is an upload session (202), not a mount (201).
		cli.obj(t, "create-repository", "--repository-name", "kms/other", "--encryption-configuration", "encryptionType=KMS")
		cli.obj(t, "create-repository", "--repository-name", "plain/aes2")
		for _, c := range []struct {
			from, to string
			want     int
		}{
			{"kms/by-alias", "kms/other", http.StatusAccepted},  // the app key → aws/ecr
			{"kms/by-alias", "plain/aes2", http.StatusAccepted}, // the app key → AES256
			{"kms/by-alias", "kms/by-id", http.StatusCreated},   // the app key → the app key
			{"plain/aes", "plain/aes2", http.StatusCreated},     // AES256 → AES256
		} {
			req, _ := http.NewRequest(http.MethodPost, reg.url("/v2/%s/blobs/uploads/?mount=%s&from=%s", c.to, sha256Digest(layer), c.from), nil)
			resp, body := reg.do(t, req)
			if resp.StatusCode != c.want {
				t.Errorf("mount from %s into %s: %s, want %d", c.from, c.to, httpErr(resp, body), c.want)
			}
		}
	})
}

// filesContaining lists the files under dir whose bytes contain marker.
func filesContaining(t testing.TB, dir string, marker []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, marker) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return found
}

// TestKMSEncryptionAtRestStorage: with --encryption-at-rest storage, berth trusts the storage for
// AES256 repositories (their blobs are stored as they are) and still encrypts KMS repositories.
func TestKMSEncryptionAtRestStorage(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithArgs("--encryption-at-rest", "storage"))
	cli := newAWSCLI(t, s)
	reg := newRegistry(s.Addr, s.Credentials(t))
	cli.obj(t, "create-repository", "--repository-name", "plain")
	cli.obj(t, "create-repository", "--repository-name", "sealed", "--encryption-configuration", "encryptionType=KMS")
	plainMarker := []byte("BERTH-E2E-AES256-" + randomHex(8))
	kmsMarker := []byte("BERTH-E2E-KMS-" + randomHex(8))
	plainDigest := reg.pushBlob(t, "plain", bytes.Repeat(plainMarker, 100))
	reg.pushBlob(t, "sealed", bytes.Repeat(kmsMarker, 100))

	blobFile := filepath.Join(s.DataDir, "blobs", "sha256", strings.TrimPrefix(plainDigest, "sha256:")[:2], strings.TrimPrefix(plainDigest, "sha256:"))
	if b, err := os.ReadFile(blobFile); err != nil || !bytes.Equal(b, bytes.Repeat(plainMarker, 100)) {
		t.Errorf("the AES256 blob is not stored as it is at %s (%v)", blobFile, err)
	}
	if files := filesContaining(t, s.DataDir, kmsMarker); len(files) > 0 {
		t.Errorf("the KMS repository's blob is stored in plaintext in %v", files)
	}
	if got := reg.getBlob(t, "plain", plainDigest); !bytes.Equal(got, bytes.Repeat(plainMarker, 100)) {
		t.Errorf("the AES256 blob pulled back differs")
	}
}
