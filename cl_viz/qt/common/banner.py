"""A message strip above the plots: what went wrong and what to do about it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    action_clicked = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.topic: str | None = None  # what the message shown is about, for whoever handles its action
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.action = QPushButton()
        self.dismiss = QPushButton("Dismiss")
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.dismiss)
        self.action.clicked.connect(self.action_clicked)
        self.action.clicked.connect(self.hide)
        self.dismiss.clicked.connect(self.dismissed)
        self.dismiss.clicked.connect(self.hide)
        self.hide()

    def show_message(self, text: str, action: str | None = None, topic: str | None = None) -> None:
        self.topic = topic
        self.text.setText(text)
        self.action.setText(action or "")
        self.action.setVisible(action is not None)
        self.show()
