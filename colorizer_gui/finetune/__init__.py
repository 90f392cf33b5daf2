"""The Fine-tune tab: teach the model a photo collection, watch it learn, save (or hold back) the
fine-tuned model, and manage saved models.

`run_controller` runs a fine-tuning and saves its model; `process` runs engine.finetune_worker as a child
process (QProcess); `choices`, `run` and `words` are plain Python; widgets are `qt_*.py`.
"""
