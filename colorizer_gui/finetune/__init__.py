"""The Fine-tune tab: teach the model a photo collection, watch it learn, save (or hold back) the
fine-tuned model, and manage saved models.

`process` runs engine.finetune_worker as a child process (QProcess); widgets are `qt_*.py`.
"""
