package content

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config selects an S3-compatible bucket.
type S3Config struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	Region    string // "" : us-east-1 (no location lookup is made)
	AccessKey string
	SecretKey string
	Secure    bool // HTTPS
	// StagingDir is the local directory uploads are staged in (their hash
	// names the object, so it is known before the upload starts).
	StagingDir string
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// S3 stores blobs as objects sha256/<aa>/<sha256> of one bucket, through
// minio-go (any S3-compatible service: AWS S3, MinIO, Ceph, R2, …). Each
// object carries its hash as user metadata (x-amz-meta-sha256) for
// operators; reads are verified against the address all the same.
type S3 struct {
	client  *minio.Client
	bucket  string
	staging string
}

// NewS3 returns the S3 store (no request is made until it is used).
func NewS3(c S3Config) (*S3, error) {
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.Secure, Region: region,
		Transport: c.Transport, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("documents.s3: %w", err)
	}
	return &S3{client: client, bucket: c.Bucket, staging: c.StagingDir}, nil
}

// Key is the object key of blob sum.
func (s *S3) Key(sum string) string { return "sha256/" + sum[:2] + "/" + sum }

// Stage implements Store.
func (s *S3) Stage(r io.Reader, limit int64) (*Staged, error) { return stage(s.staging, r, limit) }

// Put implements Store: an object already present with the blob's size is
// kept (verification on read catches a corrupted one, and a re-upload
// after deleting it repairs it); otherwise the staged file is uploaded with
// its known length (minio-go sends large files as a multipart upload, part
// by part, never whole in memory).
func (s *S3) Put(ctx context.Context, st *Staged) (bool, error) {
	defer st.Release()
	if !validSum(st.SHA256) {
		return false, fmt.Errorf("content: invalid sum %q", st.SHA256)
	}
	key := s.Key(st.SHA256)
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err == nil && info.Size == st.Size {
		return true, nil
	}
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return false, err
	}
	_, err = s.client.PutObject(ctx, s.bucket, key, st.File, st.Size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", UserMetadata: map[string]string{"sha256": st.SHA256},
	})
	return false, err
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, sum string) (Blob, error) {
	if !validSum(sum) {
		return nil, ErrNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.Key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	// GetObject is lazy: Stat makes the request, so a missing object is
	// known here rather than at the first read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, err
	}
	return obj, nil
}

// EnsureBucket creates the bucket when it does not exist (setup and tests;
// the service itself never creates buckets).
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
}
