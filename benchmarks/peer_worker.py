"""Runs one peer operation inside that peer's venv and prints its wall time as one JSON line.

Called by the runner as ``<venv python> peer_worker.py '<job JSON>'``. Interpreter start-up, the
peer's imports and (for the FastLabel SDK) loading the tasks list it is handed are outside the
timing; the timed part is the peer's own conversion, from its input files (or, for the SDK, the
in-memory tasks as ``get_image_tasks`` returns them) to its output files. Only the standard
library and the peer are imported here: this file runs under other interpreters than annoconv's.

Jobs (``{"op": ..., ...}``):
  globox.coco2yolo   coco, out, label_to_id     from_coco + save_yolo_v5
  globox.coco2voc    coco, out                  from_coco + save_pascal_voc
  globox.yolo2coco   labels, images, out        from_yolo_v5 + save_coco(auto_ids)
  datumaro.coco2yolo root, out                  import coco_instances + export yolo
  datumaro.coco2voc  root, out                  import coco_instances + export voc_detection
  datumaro.yolo2coco root, out                  import yolo + export coco_instances
  fastlabel.semantic tasks, out                 Client.export_semantic_segmentation
  fastlabel.instance tasks, out                 Client.export_instance_segmentation
  fastlabel.coco     tasks, out                 Client.export_coco (with the project's classes)
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from pathlib import Path


def _globox(job: dict, op: str) -> float:
    from globox import AnnotationSet

    t0 = time.perf_counter()
    if op == "coco2yolo":
        AnnotationSet.from_coco(job["coco"]).save_yolo_v5(job["out"], label_to_id=job["label_to_id"])
    elif op == "coco2voc":
        AnnotationSet.from_coco(job["coco"]).save_pascal_voc(job["out"])
    elif op == "yolo2coco":
        annotations = AnnotationSet.from_yolo_v5(job["labels"], image_folder=job["images"],
                                                 image_extension=job.get("image_extension", ".jpg"))
        annotations.save_coco(job["out"], auto_ids=True)  # it reads no class names: labels are the indices
    else:
        raise SystemExit(f"unknown globox op {op!r}")
    return time.perf_counter() - t0


def _datumaro(job: dict, op: str) -> float:
    logging.disable(logging.WARNING)  # one warning per crowd region on stderr otherwise
    import datumaro as dm

    source, target = {"coco2yolo": ("coco_instances", "yolo"), "coco2voc": ("coco_instances", "voc_detection"),
                      "yolo2coco": ("yolo", "coco_instances")}[op]
    t0 = time.perf_counter()
    dataset = dm.Dataset.import_from(job["root"], source)
    dataset.export(job["out"], target, save_media=False)
    return time.perf_counter() - t0


def _fastlabel(job: dict, op: str) -> float:
    import fastlabel

    os.environ.setdefault("FASTLABEL_ACCESS_TOKEN", "benchmark-offline")  # nothing here calls the API
    client = fastlabel.Client()
    with open(job["tasks"], encoding="utf-8") as f:
        document = json.load(f)
    tasks, classes = document["tasks"], document["annotations"]
    t0 = time.perf_counter()
    if op == "semantic":
        client.export_semantic_segmentation(tasks, output_dir=job["out"])
    elif op == "instance":
        client.export_instance_segmentation(tasks, output_dir=job["out"])
    elif op == "coco":
        # export_coco asks the API for the project only to read its type: answer offline.
        client.find_project_by_slug = lambda slug: {"slug": slug, "type": "image_all"}
        out = Path(job["out"])
        client.export_coco("benchmark", tasks, annotations=classes, output_dir=str(out.parent),
                           output_file_name=out.name)
    else:
        raise SystemExit(f"unknown fastlabel op {op!r}")
    return time.perf_counter() - t0


def main() -> int:
    job = json.loads(sys.argv[1])
    peer, _, op = job["op"].partition(".")
    run = {"globox": _globox, "datumaro": _datumaro, "fastlabel": _fastlabel}[peer]
    gc.collect()
    seconds = run(job, op)
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
