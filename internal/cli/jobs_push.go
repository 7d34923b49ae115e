package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/ui"
	"github.com/sqletl/blueprint/jobs"
)

// etlDeps are the lazily built clients of the jobs and query commands:
// nothing is read or dialled until a command's run function calls one.
type etlDeps struct {
	Outputs func(ctx context.Context) (*outputs.Platform, error)
	S3      func(ctx context.Context) (etl.S3API, error)
	Athena  func(ctx context.Context) (etl.AthenaAPI, error)
	Dynamic func(ctx context.Context) (dynamic.Interface, error)
	Kube    func(ctx context.Context) (kubernetes.Interface, error)
}

func (f *Factory) etlDeps() etlDeps {
	return etlDeps{
		Outputs: func(ctx context.Context) (*outputs.Platform, error) {
			cfg, err := f.Config()
			if err != nil {
				return nil, err
			}
			awsCfg, err := f.AWS(ctx)
			if err != nil {
				return nil, err
			}
			return outputs.Read(ctx, cloudformation.NewFromConfig(awsCfg), cfg)
		},
		S3: func(ctx context.Context) (etl.S3API, error) {
			awsCfg, err := f.AWS(ctx)
			if err != nil {
				return nil, err
			}
			return s3.NewFromConfig(awsCfg, f.s3Options), nil
		},
		Athena: func(ctx context.Context) (etl.AthenaAPI, error) {
			awsCfg, err := f.AWS(ctx)
			if err != nil {
				return nil, err
			}
			return athena.NewFromConfig(awsCfg), nil
		},
		Dynamic: func(ctx context.Context) (dynamic.Interface, error) {
			rc, err := f.KubeConfig(ctx)
			if err != nil {
				return nil, err
			}
			return dynamic.NewForConfig(rc)
		},
		Kube: func(ctx context.Context) (kubernetes.Interface, error) {
			rc, err := f.KubeConfig(ctx)
			if err != nil {
				return nil, err
			}
			return kubernetes.NewForConfig(rc)
		},
	}
}

// JobsPushOptions are the inputs of `blueprint jobs push`.
type JobsPushOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// Dir holds the job files; empty means ./jobs when it exists, else the
	// samples built into the binary.
	Dir       string
	Bucket    string
	Prefix    string
	Namespace string
	Prune     bool
	NoApply   bool
	Deps      etlDeps
}

func newCmdJobsPush(f *Factory, runF func(*JobsPushOptions) error) *cobra.Command {
	opts := &JobsPushOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "push [DIR]",
		Short: "Upload changed job files to the code bucket and apply their Argo workflows",
		Long: `Upload the job files of DIR (default ./jobs, or the built-in samples when
there is no ./jobs) to the code bucket under --prefix. Only files whose
content changed since the last push are uploaded (sha256, one listing of the
bucket). Then the WorkflowTemplates and CronWorkflows found in the YAML files
are applied server-side to the cluster. --prune also deletes objects under
the prefix that DIR no longer has.`,
		Example: `  blueprint jobs push
  blueprint jobs push ./jobs --prune
  blueprint jobs push --no-apply -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			opts.Output, opts.Deps = f.Globals.Output, f.etlDeps()
			if runF != nil {
				return runF(opts)
			}
			return jobsPushRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Bucket, "bucket", "", "code bucket (default: from the deployed stacks)")
	fl.StringVar(&opts.Prefix, "prefix", etl.DefaultPrefix, "key prefix in the bucket")
	fl.StringVarP(&opts.Namespace, "namespace", "n", etl.DefaultNamespace, "namespace of the Argo workflows")
	fl.BoolVar(&opts.Prune, "prune", false, "delete objects under the prefix that DIR no longer has")
	fl.BoolVar(&opts.NoApply, "no-apply", false, "only upload; do not apply WorkflowTemplates/CronWorkflows")
	return cmd
}

// jobSource picks the files to push and says where they come from.
func jobSource(dir string) (fs.FS, string, error) {
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, "", err
		}
		if !st.IsDir() {
			return nil, "", fmt.Errorf("%s is not a directory", dir)
		}
		return os.DirFS(dir), dir, nil
	}
	if st, err := os.Stat("jobs"); err == nil && st.IsDir() {
		return os.DirFS("jobs"), "jobs", nil
	}
	return jobs.Samples, "the built-in samples", nil
}

func jobsPushRun(ctx context.Context, opts *JobsPushOptions) error {
	src, from, err := jobSource(opts.Dir)
	if err != nil {
		return err
	}
	bucket := opts.Bucket
	if bucket == "" {
		out, err := opts.Deps.Outputs(ctx)
		if err != nil {
			return err
		}
		if bucket = out.CodeBucket; bucket == "" {
			return errors.New("the code bucket is not deployed: run 'blueprint up' first, or pass --bucket")
		}
	}
	objects, err := opts.Deps.S3(ctx)
	if err != nil {
		return err
	}
	po := etl.PushOptions{Objects: objects, Bucket: bucket, Prefix: opts.Prefix, Source: src, Prune: opts.Prune, Namespace: opts.Namespace}
	if !opts.NoApply {
		if po.Kube, err = opts.Deps.Dynamic(ctx); err != nil {
			return err
		}
	}
	opts.IO.Progress().Start("Pushing %s to s3://%s/%s", from, bucket, opts.Prefix)
	res, err := etl.Push(ctx, po)
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	w := opts.IO.Out
	for _, p := range res.Uploaded {
		fmt.Fprintf(w, "uploaded  %s\n", p)
	}
	for _, p := range res.Deleted {
		fmt.Fprintf(w, "deleted   %s\n", p)
	}
	for _, a := range res.Applied {
		fmt.Fprintf(w, "applied   %s\n", a)
	}
	fmt.Fprintf(w, "%d uploaded, %d unchanged, %d deleted in s3://%s/%s\n", len(res.Uploaded), len(res.Unchanged), len(res.Deleted), res.Bucket, res.Prefix)
	return nil
}
