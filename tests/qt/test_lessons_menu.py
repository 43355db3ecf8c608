"""The Lessons menu: every good preset, and each broken user preset as a disabled entry saying why."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from cl_viz.core.presets import builtin_preset_dir, list_presets
from cl_viz.qt.window.menus import fill_lessons

MINIMAL = 'title = "{title}"\ndescription = "One. Two."\n'


@pytest.fixture
def user_presets(tmp_path, monkeypatch):
    folder = tmp_path / "user-presets"
    folder.mkdir()
    monkeypatch.setenv("CL_VIZ_PRESETS", str(folder))
    return folder


@pytest.fixture
def menu(qtbot):
    widget = QMenu()
    qtbot.addWidget(widget)
    return widget


def fill(menu):
    chosen = []
    fill_lessons(menu, chosen.append)
    return chosen


def entries(menu):
    return [action for action in menu.actions() if not action.isSeparator()]


BUILTIN_TITLES = [preset.title for preset in list_presets(builtin_preset_dir())]


def test_the_menu_lists_every_builtin_preset_and_applies_the_one_chosen(menu, user_presets):
    chosen = fill(menu)
    assert [action.text() for action in entries(menu)] == BUILTIN_TITLES
    assert all(action.isEnabled() for action in entries(menu))
    entries(menu)[2].trigger()
    assert [preset.title for preset in chosen] == [BUILTIN_TITLES[2]]


def test_one_broken_user_preset_leaves_every_good_one_in_the_menu(menu, user_presets):
    (user_presets / "20-mine.toml").write_text(MINIMAL.format(title="Mine"), encoding="utf-8")
    broken = user_presets / "50-broken.toml"
    broken.write_text("title = ", encoding="utf-8")
    chosen = fill(menu)
    good = [action for action in entries(menu) if action.isEnabled()]
    assert [action.text() for action in good] == BUILTIN_TITLES + ["Mine"]
    good[-1].trigger()
    assert chosen[0].name == "20-mine"
    [entry] = [action for action in entries(menu) if not action.isEnabled()]
    assert entry.text().startswith("50-broken.toml: not valid TOML") and "\n" not in entry.text()
    assert str(broken) in entry.toolTip()


def test_each_broken_preset_has_its_own_entry_with_its_reason(menu, user_presets):
    files = {"60-unknown.toml": MINIMAL.format(title="U") + "colour = 'red'\n",
             "61-typed.toml": MINIMAL.format(title="T") + "[config]\nprobe_size = 100.5\n",
             "62-latin1.toml": 'title = "Größe"\n'.encode("latin-1"),
             "63-long.toml": MINIMAL.format(title="L") + "[config]\nmodel = '" + "x" * 500 + "'\n"}
    for name, text in files.items():
        path = user_presets / name
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")
    fill(menu)
    disabled = [action for action in entries(menu) if not action.isEnabled()]
    assert [action.text().split(":")[0] for action in disabled] == list(files)
    assert "unknown field(s) colour" in disabled[0].text()
    assert "config.probe_size must be a whole number, got 100.5" in disabled[1].text()
    assert "not valid TOML" in disabled[2].text()
    assert len(disabled[3].text()) <= 120 and "x" * 500 in disabled[3].toolTip()
    assert len([action for action in entries(menu) if action.isEnabled()]) == len(BUILTIN_TITLES)


def test_no_presets_at_all_is_one_disabled_entry(menu, user_presets, tmp_path, monkeypatch):
    monkeypatch.setattr("cl_viz.core.presets.builtin_preset_dir", lambda: tmp_path / "nowhere")
    fill(menu)
    assert [(action.text(), action.isEnabled()) for action in menu.actions()] == [("(no lesson presets found)",
                                                                                  False)]


def test_an_ampersand_in_a_title_or_file_name_is_shown_not_taken_as_a_shortcut(menu, user_presets):
    (user_presets / "20-a.toml").write_text(MINIMAL.format(title="Softmax & center loss"), encoding="utf-8")
    (user_presets / "21-b&c.toml").write_text("title = ", encoding="utf-8")
    fill(menu)
    texts = [action.text() for action in entries(menu)]
    assert "Softmax && center loss" in texts
    assert any(text.startswith("21-b&&c.toml: ") for text in texts)


def test_a_user_folder_that_cannot_be_listed_is_an_entry_not_a_crash(menu, user_presets, monkeypatch):
    real_is_dir = Path.is_dir

    def is_dir(path):
        if path == user_presets:
            raise PermissionError(13, "Permission denied")
        return real_is_dir(path)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    fill(menu)
    texts = [action.text() for action in entries(menu)]
    assert texts[:len(BUILTIN_TITLES)] == BUILTIN_TITLES
    assert texts[len(BUILTIN_TITLES):] == ["user-presets: cannot be read (Permission denied)"]


def test_the_window_opens_with_a_broken_user_preset_and_its_lessons_menu_lists_the_rest(open_window,
                                                                                       user_presets):
    (user_presets / "50-broken.toml").write_text("title = ", encoding="utf-8")
    window = open_window()
    texts = [action.text() for action in entries(window.menus.lessons)]
    assert texts[:-1] == BUILTIN_TITLES and texts[-1].startswith("50-broken.toml: not valid TOML")
