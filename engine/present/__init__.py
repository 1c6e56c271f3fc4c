"""From numbers to what people see: drawing, the rendered video, charts, report JSON, feedback."""
