// Package arcruntime is the one pinned table of the Arc/Spark software
// blueprint runs: the job image (Argo's arc-job template, driver and
// executors) and the notebook image (JupyterHub's Arc kernel). What an
// analyst develops in the notebook must behave as the scheduled job does,
// so both images carry the same Arc, Spark, Scala, Hadoop and Delta Lake
// (a test fails when they disagree).
//
// Tags follow the tripl-ai/docker build scripts (README.md at commit
// a3dc51fc8334d675e74087d69c5aabbbd55f7fab, "Updated arc jupyter to Arc
// 4.2.0", 2024-02-14):
//
//	arc:          arc_${ARC_VERSION}_spark_${SPARK_VERSION}_scala_${SCALA_VERSION}_hadoop_${HADOOP_VERSION}_${ARC_IMAGE_VERSION}[_slim]
//	arc-jupyter:  arc-jupyter_${ARC_JUPYTER_VERSION}_scala_${SCALA_VERSION}_hadoop_${HADOOP_VERSION}_${ARC_JUPYTER_IMAGE_VERSION}
//
// with ARC_VERSION=4.2.0, SPARK_VERSION=3.3.4, SCALA_VERSION=2.12,
// HADOOP_VERSION=3.3.2, ARC_JUPYTER_VERSION=3.16.0, arc/version=4.2.1 and
// arc-jupyter/version=3.16.0 at that commit. The arc-jupyter image is
// built FROM the arc ..._4.2.1_slim image, the job image here, so the
// notebook runs the job's jars (arc/Dockerfile at that commit adds
// arc-deltalake-pipeline-plugin 3.1.0, hadoop-aws ${HADOOP_VERSION} and
// aws-java-sdk-bundle 1.12.525).
package arcruntime

import (
	"fmt"
	"strings"
)

// Image is one pinned image and the software versions inside it.
type Image struct {
	Repository string
	Tag        string
	// Arc is the Arc release (ai.tripl:arc), Spark/Scala/Hadoop the
	// platform it is built on, Delta the Delta Lake (delta-core) release
	// its Delta Lake plugin brings, AWSSDK the aws-java-sdk-bundle S3A uses.
	Arc, Spark, Scala, Hadoop, Delta, AWSSDK string
	// Source says where the tag and each version come from.
	Source string
}

// Ref is repository:tag.
func (i Image) Ref() string { return i.Repository + ":" + i.Tag }

// Pinned images.
const (
	JobRepository      = "ghcr.io/tripl-ai/arc"
	JobTag             = "arc_4.2.0_spark_3.3.4_scala_2.12_hadoop_3.3.2_4.2.1_slim"
	JobImage           = JobRepository + ":" + JobTag
	NotebookRepository = "ghcr.io/tripl-ai/arc-jupyter"
	NotebookTag        = "arc-jupyter_3.16.0_scala_2.12_hadoop_3.3.2_3.16.0"
	NotebookImage      = NotebookRepository + ":" + NotebookTag
)

// deltaVersion: arc-deltalake-pipeline-plugin 3.1.0 (commit
// 3f340056c0409d2c6c42c36960bcd5b4a14ad423, project/Dependencies.scala:
// arc 4.2.0, Spark 3.3.4, Hadoop 3.3.2, io.delta delta-core 2.3.0).
const deltaVersion = "2.3.0"

// Job is the image of Argo's arc-job template.
func Job() Image {
	return Image{
		Repository: JobRepository, Tag: JobTag,
		Arc: "4.2.0", Spark: "3.3.4", Scala: "2.12", Hadoop: "3.3.2", Delta: deltaVersion, AWSSDK: "1.12.525",
		Source: "tripl-ai/docker a3dc51f README.md (arc build) + arc/version 4.2.1; arc/Dockerfile (delta plugin 3.1.0, aws-java-sdk-bundle 1.12.525)",
	}
}

// Notebook is JupyterHub's single-user image (the Arc kernel).
func Notebook() Image {
	rel := ArcJupyterReleases["3.16.0"]
	return Image{
		Repository: NotebookRepository, Tag: NotebookTag,
		Arc: rel.Arc, Spark: rel.Spark, Scala: "2.12", Hadoop: "3.3.2", Delta: deltaVersion, AWSSDK: "1.12.525",
		Source: "tripl-ai/docker a3dc51f README.md (arc-jupyter build, FROM the arc 4.2.1_slim image) + arc-jupyter/version 3.16.0; tripl-ai/arc-jupyter 3.16.0 project/Dependencies.scala",
	}
}

// ArcJupyterRelease is what one arc-jupyter release is built against.
type ArcJupyterRelease struct{ Arc, Spark string }

// ArcJupyterReleases are read from tripl-ai/arc-jupyter's
// project/Dependencies.scala (sparkVersion, ai.tripl arc) at each release
// commit: 3.16.0 = 3a88d27 (2024-02-13), 3.14.3 = 579b5a8 (2024-02-26),
// 3.15.1 = 6c0954b (Arc 3.13.2, Spark 3.3.2). 3.12.1 is the tag blueprint
// ran before; its CHANGELOG.md entry is older than 3.13.0's bump to
// Arc 3.8.0 / Spark 3.1.1, so it is an Arc 3.x on Spark 3.0.
var ArcJupyterReleases = map[string]ArcJupyterRelease{
	"3.16.0": {Arc: "4.2.0", Spark: "3.3.4"},
	"3.14.3": {Arc: "4.2.0", Spark: "3.3.4"},
	"3.15.1": {Arc: "3.13.2", Spark: "3.3.2"},
}

// TagVersions reads the versions a tripl-ai tag names, by the build
// scripts' patterns above. For arc-jupyter tags Arc and Spark come from
// ArcJupyterReleases.
func TagVersions(repository, tag string) (Image, error) {
	img := Image{Repository: repository, Tag: tag}
	parts := strings.Split(strings.TrimSuffix(tag, "_slim"), "_")
	switch {
	case strings.HasSuffix(repository, "/arc") && len(parts) == 9 && parts[0] == "arc" && parts[2] == "spark" && parts[4] == "scala" && parts[6] == "hadoop":
		img.Arc, img.Spark, img.Scala, img.Hadoop = parts[1], parts[3], parts[5], parts[7]
	case strings.HasSuffix(repository, "/arc-jupyter") && len(parts) == 7 && parts[0] == "arc-jupyter" && parts[2] == "scala" && parts[4] == "hadoop":
		rel, ok := ArcJupyterReleases[parts[1]]
		if !ok {
			return img, fmt.Errorf("tag %q: arc-jupyter %s is not in ArcJupyterReleases; read its project/Dependencies.scala and add it", tag, parts[1])
		}
		img.Arc, img.Spark, img.Scala, img.Hadoop = rel.Arc, rel.Spark, parts[3], parts[5]
	default:
		return img, fmt.Errorf("tag %q of %s does not follow the tripl-ai/docker tag pattern", tag, repository)
	}
	return img, nil
}
