"""Files in and out: video decode, the pose model (the only mediapipe import), extraction, the
HDF5 cache and the MP4 writer."""
