package e2e

// boto3 drives the ECR data plane: a multipart layer upload (parts of at least 5 MiB and a smaller last
// one), its availability, an image over it, and the download URL fetched with no credentials; then
// every error of the upload operations.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ecrBoto3Script runs in a private HOME with the root credentials and the endpoint in its environment.
// It prints one JSON object: what each step returned, or the error code, message and extra members
// of the error it raised. The Go side judges.
const ecrBoto3Script = `
import base64, hashlib, json, os, sys, urllib.request
import boto3, botocore

ecr = boto3.client("ecr", endpoint_url=os.environ["BERTH_URL"], region_name="us-east-1",
                   config=botocore.config.Config(retries={"max_attempts": 1}))
repo = os.environ["REPO"]
out = {}

def err(f):
    try:
        r = f()
        return {"ok": True, "result": {k: v for k, v in r.items() if k != "ResponseMetadata"}}
    except botocore.exceptions.ClientError as e:
        extra = {k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata")}
        return {"ok": False, "code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", ""),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "extra": extra}

def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

MiB = 1 << 20
layer = os.urandom(5 * MiB) + os.urandom(5 * MiB) + os.urandom(1 * MiB + 12345)
parts = [(0, 5 * MiB), (5 * MiB, 10 * MiB), (10 * MiB, len(layer))]

# The good path: three parts, the last one small.
up = ecr.initiate_layer_upload(repositoryName=repo)
out["initiate"] = {"uploadId": up["uploadId"], "partSize": up["partSize"]}
out["parts"] = []
for first, end in parts:
    r = ecr.upload_layer_part(repositoryName=repo, uploadId=up["uploadId"], partFirstByte=first,
                              partLastByte=end - 1, layerPartBlob=layer[first:end])
    out["parts"].append(r["lastByteReceived"])
r = ecr.complete_layer_upload(repositoryName=repo, uploadId=up["uploadId"], layerDigests=[digest(layer)])
out["complete"] = {k: r[k] for k in ("registryId", "repositoryName", "uploadId", "layerDigest")}
out["layerDigest"] = digest(layer)
out["layerSize"] = len(layer)

config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
cu = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
ecr.upload_layer_part(repositoryName=repo, uploadId=cu, partFirstByte=0, partLastByte=len(config) - 1, layerPartBlob=config)
ecr.complete_layer_upload(repositoryName=repo, uploadId=cu, layerDigests=[digest(config)])

r = ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=[digest(layer), digest(config)])
out["availability"] = [{"digest": l["layerDigest"], "availability": l["layerAvailability"], "size": l.get("layerSize")} for l in r["layers"]]

manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(layer), "size": len(layer)}]})
out["putImage"] = err(lambda: ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="boto3"))
out["manifestDigest"] = digest(manifest.encode())

r = ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=digest(layer))
out["downloadUrl"] = r["downloadUrl"]
with urllib.request.urlopen(urllib.request.Request(r["downloadUrl"])) as resp:  # no credentials at all
    body = resp.read()
out["downloaded"] = {"status": resp.status, "digest": digest(body), "size": len(body)}

# Errors.
up = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
ecr.upload_layer_part(repositoryName=repo, uploadId=up, partFirstByte=0, partLastByte=5 * MiB - 1, layerPartBlob=layer[:5 * MiB])
out["outOfOrder"] = err(lambda: ecr.upload_layer_part(repositoryName=repo, uploadId=up, partFirstByte=6 * MiB,
                                                      partLastByte=7 * MiB - 1, layerPartBlob=layer[6 * MiB:7 * MiB]))

small = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
ecr.upload_layer_part(repositoryName=repo, uploadId=small, partFirstByte=0, partLastByte=MiB - 1, layerPartBlob=layer[:MiB])
ecr.upload_layer_part(repositoryName=repo, uploadId=small, partFirstByte=MiB, partLastByte=2 * MiB - 1, layerPartBlob=layer[MiB:2 * MiB])
out["tooSmall"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=small, layerDigests=[digest(layer[:2 * MiB])]))

wrong = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
ecr.upload_layer_part(repositoryName=repo, uploadId=wrong, partFirstByte=0, partLastByte=99, layerPartBlob=layer[:100])
out["wrongDigest"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=wrong, layerDigests=[digest(layer[:101])]))

# Complete once (the digest is the one of the bytes sent), then again.
once = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
payload = os.urandom(100)
ecr.upload_layer_part(repositoryName=repo, uploadId=once, partFirstByte=0, partLastByte=99, layerPartBlob=payload)
out["completeOnce"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=once, layerDigests=[digest(payload)]))
out["completeTwice"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=once, layerDigests=[digest(payload)]))
out["completeUnknown"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId="12345678-1234-4123-8123-123456789012",
                                                               layerDigests=[digest(payload)]))

again = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
ecr.upload_layer_part(repositoryName=repo, uploadId=again, partFirstByte=0, partLastByte=99, layerPartBlob=payload)
out["alreadyExists"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=again, layerDigests=[digest(payload)]))

empty = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
out["empty"] = err(lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=empty, layerDigests=[digest(b"")]))

print(json.dumps(out, default=str))
`

type ecrBoto3Outcome struct {
	OK      bool           `json:"ok"`
	Result  map[string]any `json:"result"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Status  int            `json:"status"`
	Extra   map[string]any `json:"extra"`
}

func TestECRBoto3LayerUpload(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	repo := "boto3/layers"
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": repo}, nil)
	dir := t.TempDir()
	script := filepath.Join(dir, "upload.py")
	writeFile(t, script, []byte(ecrBoto3Script))
	for _, f := range []string{"config", "credentials"} {
		writeFile(t, filepath.Join(dir, f), nil)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+dir, "AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID="+RootAccessKeyID, "AWS_SECRET_ACCESS_KEY="+RootSecretAccessKey, "AWS_EC2_METADATA_DISABLED=true",
		"BERTH_URL="+s.URL(), "REPO="+repo)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool(t, "python3"), script)
	cmd.Env, cmd.Dir = env, dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	stdout, err := cmd.Output()
	t.Logf("python3 upload.py (%s)", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("boto3 script failed: %v\n%s\n%s", err, stdout, stderr.String())
	}
	var out struct {
		Initiate struct {
			UploadID string  `json:"uploadId"`
			PartSize float64 `json:"partSize"`
		} `json:"initiate"`
		Parts          []float64         `json:"parts"`
		Complete       map[string]string `json:"complete"`
		LayerDigest    string            `json:"layerDigest"`
		LayerSize      int64             `json:"layerSize"`
		Availability   []map[string]any  `json:"availability"`
		PutImage       ecrBoto3Outcome   `json:"putImage"`
		ManifestDigest string            `json:"manifestDigest"`
		Downloaded     struct {
			Status int    `json:"status"`
			Digest string `json:"digest"`
			Size   int64  `json:"size"`
		} `json:"downloaded"`
		OutOfOrder, TooSmall, WrongDigest, CompleteOnce, CompleteTwice, CompleteUnknown, AlreadyExists, Empty ecrBoto3Outcome
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("boto3 script output: %v\n%s", err, stdout)
	}

	const mib = 1 << 20
	if !ecrUploadIDRE.MatchString(out.Initiate.UploadID) || out.Initiate.PartSize < 5*mib {
		t.Errorf("InitiateLayerUpload: %+v", out.Initiate)
	}
	if want := []float64{5*mib - 1, 10*mib - 1, float64(out.LayerSize - 1)}; len(out.Parts) != 3 || out.Parts[0] != want[0] || out.Parts[1] != want[1] || out.Parts[2] != want[2] {
		t.Errorf("lastByteReceived of the parts %v, want %v", out.Parts, want)
	}
	if out.Complete["layerDigest"] != out.LayerDigest || out.Complete["registryId"] != s.AccountID || out.Complete["repositoryName"] != repo ||
		out.Complete["uploadId"] != out.Initiate.UploadID {
		t.Errorf("CompleteLayerUpload %v, want layerDigest %s", out.Complete, out.LayerDigest)
	}
	for _, l := range out.Availability {
		if l["availability"] != "AVAILABLE" {
			t.Errorf("BatchCheckLayerAvailability: %v", l)
		}
		if l["digest"] == out.LayerDigest && l["size"] != float64(out.LayerSize) {
			t.Errorf("layerSize %v, want %d", l["size"], out.LayerSize)
		}
	}
	if !out.PutImage.OK {
		t.Errorf("PutImage of a manifest over the uploaded layer: %+v", out.PutImage)
	} else if id, _ := out.PutImage.Result["image"].(map[string]any)["imageId"].(map[string]any); id["imageDigest"] != out.ManifestDigest {
		t.Errorf("PutImage imageId %v, want %s", id, out.ManifestDigest)
	}
	if out.Downloaded.Status != 200 || out.Downloaded.Digest != out.LayerDigest || out.Downloaded.Size != out.LayerSize {
		t.Errorf("download without credentials: %+v, want the %d bytes of %s", out.Downloaded, out.LayerSize, out.LayerDigest)
	}

	wantErr := func(what string, o ecrBoto3Outcome, code string, msg ...string) {
		t.Helper()
		if o.OK || o.Code != code || o.Status != 400 {
			t.Errorf("%s: %+v, want %s (400)", what, o, code)
			return
		}
		for _, m := range msg {
			if !strings.Contains(o.Message, m) {
				t.Errorf("%s: message %q does not mention %q", what, o.Message, m)
			}
		}
	}
	wantErr("a part that skips bytes", out.OutOfOrder, "InvalidLayerPartException")
	if v, ok := out.OutOfOrder.Extra["lastValidByteReceived"]; !ok || v != float64(5*mib-1) {
		t.Errorf("InvalidLayerPartException.lastValidByteReceived %v (members %v), want %d", v, out.OutOfOrder.Extra, 5*mib-1)
	}
	wantErr("parts under 5 MiB", out.TooSmall, "LayerPartTooSmallException", "5 MiB")
	wantErr("a digest that is not the upload's", out.WrongDigest, "InvalidLayerException")
	if !out.CompleteOnce.OK {
		t.Errorf("the first completion: %+v", out.CompleteOnce)
	}
	wantErr("completing an upload twice", out.CompleteTwice, "UploadNotFoundException")
	wantErr("completing an unknown upload", out.CompleteUnknown, "UploadNotFoundException")
	wantErr("completing a layer the repository has", out.AlreadyExists, "LayerAlreadyExistsException")
	wantErr("completing an upload without parts", out.Empty, "EmptyUploadException")
}
