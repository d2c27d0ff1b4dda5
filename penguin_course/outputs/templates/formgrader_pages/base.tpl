{#- formgrader's list pages (nbgrader's base.tpl), with a line saying which scores they show:
    penguin_course.outputs.formgrader serves the totals after the late penalty. -#}
{%- extends "nbgrader/base.tpl" -%}

{%- block body -%}
<p class="text-muted course-scores-note">Overall scores and averages are after the late penalty, as in
grades.csv, the feedback pages and the exports; code and written scores are before it.</p>
{{ super() }}
{%- endblock -%}
