package arcruntime

import "testing"

// The notebook and the job run the same Arc, Spark, Scala, Hadoop and
// Delta Lake, and each image's tag says so by the tripl-ai/docker pattern.
func TestNotebookAndJobAgree(t *testing.T) {
	job, nb := Job(), Notebook()
	for _, img := range []Image{job, nb} {
		got, err := TagVersions(img.Repository, img.Tag)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct{ name, table, tag string }{
			{"Arc", img.Arc, got.Arc}, {"Spark", img.Spark, got.Spark},
			{"Scala", img.Scala, got.Scala}, {"Hadoop", img.Hadoop, got.Hadoop},
		} {
			if f.table != f.tag {
				t.Errorf("%s: table says %s %s, tag says %s", img.Ref(), f.name, f.table, f.tag)
			}
		}
	}
	for _, f := range []struct{ name, job, nb string }{
		{"Arc", job.Arc, nb.Arc}, {"Spark", job.Spark, nb.Spark}, {"Scala", job.Scala, nb.Scala},
		{"Hadoop", job.Hadoop, nb.Hadoop}, {"Delta", job.Delta, nb.Delta}, {"AWS SDK", job.AWSSDK, nb.AWSSDK},
	} {
		if f.job != f.nb {
			t.Errorf("%s differs: job image %s has %s, notebook image %s has %s", f.name, job.Ref(), f.job, nb.Ref(), f.nb)
		}
	}
	if job.Ref() != JobImage || nb.Ref() != NotebookImage {
		t.Errorf("Ref() and the image constants disagree")
	}
}

// The check is not vacuous: the notebook tag blueprint ran before
// (arc-jupyter 3.12.1, Hadoop 3.2.0) and arc-jupyter 3.15.1 (Arc 3.13.2)
// disagree with the job image.
func TestTagVersionsCatchesMismatch(t *testing.T) {
	job := Job()
	tests := []struct{ tag, field string }{
		{"arc-jupyter_3.15.1_scala_2.12_hadoop_3.3.2_1.2.0", "Arc"},
		{"arc-jupyter_3.16.0_scala_2.12_hadoop_3.2.0_3.16.0", "Hadoop"},
	}
	for _, tt := range tests {
		got, err := TagVersions(NotebookRepository, tt.tag)
		if err != nil {
			t.Fatal(err)
		}
		same := map[string]bool{"Arc": got.Arc == job.Arc, "Hadoop": got.Hadoop == job.Hadoop}
		if same[tt.field] {
			t.Errorf("%s: %s should differ from the job image", tt.tag, tt.field)
		}
	}
	if _, err := TagVersions(NotebookRepository, "arc-jupyter_3.12.1_scala_2.12_hadoop_3.2.0_1.5.0"); err == nil {
		t.Error("an arc-jupyter release not in ArcJupyterReleases must be an error, not a guess")
	}
	if _, err := TagVersions(JobRepository, "latest"); err == nil {
		t.Error("latest must not parse")
	}
}
